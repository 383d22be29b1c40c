// A user namespace's id map and its text forms: what a state file writes and lite ps
// reads. Apart from ranges.ts (the pool and its claims), so that a run's hand-over to
// the monitor does not load the pool's code.

export interface IdRange {
  containerId: number
  hostId: number
  size: number
}

export interface IdMap {
  uid: IdRange[]
  gid: IdRange[]
}

/** "0:1048576:65536[,...]" per kind: the state file's form and the config's. */
export function formatIdMap(map: IdMap): { uid: string; gid: string } {
  const text = (ranges: IdRange[]) => ranges.map((r) => `${r.containerId}:${r.hostId}:${r.size}`).join(',')
  return { uid: text(map.uid), gid: text(map.gid) }
}

/** The state lines that show the map (`lite ps`, `lite status`). */
export function userMapStateLines(map: IdMap | undefined): Record<string, string> {
  if (!map) return {}
  const text = formatIdMap(map)
  return { user_uid_map: text.uid, user_gid_map: text.gid }
}
