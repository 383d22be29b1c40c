// Whether a string is an IPv4 or IPv6 address as written, with Node's isIP rules, in
// lite's own code: importing node:net for isIP costs a compiled Bun binary ~3 ms at
// every start (hyperfine -N: 4.4 -> 6.2 ms), and the config values, the state registry
// and so every lite run, ps and stop import this.

const IPV4_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/
/** what may follow "%" in a scoped IPv6 address (fe80::1%eth0), as Node accepts it */
const ZONE = /^[0-9a-zA-Z\-.:]+$/

/** Dotted decimal, four octets 0..255, no leading zeros (Node's isIPv4). */
export function isIPv4Text(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p))
}

/** Eight hex groups, "::" once for one or more zero groups, an IPv4 tail for the last two, an optional %zone (Node's isIPv6). */
export function isIPv6Text(text: string): boolean {
  const percent = text.indexOf('%')
  if (percent >= 0 && !ZONE.test(text.slice(percent + 1))) return false
  const address = percent >= 0 ? text.slice(0, percent) : text
  const halves = address.split('::')
  if (halves.length > 2) return false
  let groups = 0
  for (let h = 0; h < halves.length; h++) {
    if (halves[h] === '') continue
    const parts = halves[h]!.split(':')
    for (let i = 0; i < parts.length; i++) {
      const last = h === halves.length - 1 && i === parts.length - 1
      if (last && parts[i]!.includes('.')) {
        if (!isIPv4Text(parts[i]!)) return false
        groups += 2
      } else if (HEX_GROUP.test(parts[i]!)) groups++
      else return false
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8
}

/** 4, 6, or 0 when `text` is neither (node:net's isIP). */
export function ipVersion(text: string): 0 | 4 | 6 {
  return isIPv4Text(text) ? 4 : isIPv6Text(text) ? 6 : 0
}
