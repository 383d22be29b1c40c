// The minimal /dev both front ends make (runc's default devices and links): the nodes
// every program expects, and the links into /proc/self/fd.

/** name, major, minor: char devices, mode 0666 (runc's AllowedDevices with a path). */
export const DEV_NODES: readonly (readonly [string, number, number])[] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
]

/** name in /dev, link content (runc's setupDevSymlinks). */
export const DEV_LINKS: readonly (readonly [string, string])[] = [
  ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'],
]
