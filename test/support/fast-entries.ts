// The record format of the fast run's and the fast exec's entries (native-rs/src/fast_run/
// entry.rs): a magic line, then "KEY LEN\n" + LEN bytes + "\n". Tests read and edit them here.

/** The records after `magic`, as entry.rs reads them; throws when the text does not begin with it. */
export function entryRecords(text: string, magic: string): [string, string][] {
  if (!text.startsWith(magic)) throw new Error(`not a ${JSON.stringify(magic)} entry`)
  const out: [string, string][] = []
  let rest = Buffer.from(text.slice(magic.length))
  while (rest.length) {
    const nl = rest.indexOf(10)
    const [key, len] = rest.subarray(0, nl).toString().split(' ')
    out.push([key!, rest.subarray(nl + 1, nl + 1 + Number(len)).toString()])
    rest = rest.subarray(nl + 2 + Number(len))
  }
  return out
}

/** The entry with its first `key` record's value replaced (its length follows). */
export function withRecord(text: string, key: string, value: string): string {
  const at = text.indexOf(`\n${key} `) + 1
  const nl = text.indexOf('\n', at)
  const len = Number(text.slice(at + key.length + 1, nl))
  return `${text.slice(0, at)}${key} ${Buffer.byteLength(value)}\n${value}${text.slice(nl + 1 + len)}`
}
