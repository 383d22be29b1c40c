import t from 'tap'
import { renderConfigReference, renderImageSettingsReference } from '../../runtime/config/reference.ts'
import { IMAGE_KEYS, IMAGE_SECTIONS } from '../../runtime/image/settings.ts'
import { KEYS, SECTIONS } from '../../runtime/config/schema.ts'

const text = renderConfigReference('text')
const markdown = renderConfigReference('markdown')

t.test('the text reference (lite help-config)', async t => {
  t.matchSnapshot(text)
  for (const section of SECTIONS) t.match(text, `\n[${section.name}]\n`, `[${section.name}] has a heading`)
  for (const row of KEYS) t.match(text, `\n  ${row.key}${row.list ? '[]' : ''} = ${row.value}\n`, `${row.section}.${row.key}`)
  const long = text.split('\n').filter(line => line.length > 78 && line.trim().includes(' '))
  t.same(long, [], 'lines fit in 78 columns unless a single word is longer')
})

t.test('the markdown reference (README table)', async t => {
  t.matchSnapshot(markdown)
  const rows = markdown.split('\n').filter(line => line.startsWith('| `'))
  t.equal(rows.length, KEYS.length, 'one table row per key')
  for (const row of rows) {
    const cells = row.replace(/\\\|/g, '').split('|').length - 2
    t.equal(cells, 6, `6 cells: ${row.slice(0, 30)}`)
  }
  t.notMatch(markdown.replace(/`[^`\n]*`/g, ''), /<(?!RLIMIT>|rlimit>)/, 'no raw HTML outside code spans')
})

t.test('the key table is complete', async t => {
  const sections = new Set(SECTIONS.map(s => s.name))
  const seen = new Set<string>()
  for (const row of KEYS) {
    const id = `${row.section}.${row.key}`
    t.ok(sections.has(row.section), `${id}: its section exists`)
    t.notOk(seen.has(id), `${id}: one row`)
    seen.add(id)
    t.ok(row.doc.length > 10, `${id}: documented`)
    t.ok(row.value.length > 0, `${id}: value syntax`)
    t.notOk(row.required && row.default !== undefined, `${id}: required keys have no default`)
    if (typeof row.default === 'string') t.doesNotThrow(() => row.parse(row.default as string, { file: 'x.ini', dir: '/', key: row.key }), `${id}: the default parses`)
  }
  for (const section of SECTIONS) t.ok(KEYS.some(row => row.section === section.name), `[${section.name}] has keys`)
})

t.test('the images.ini reference (lite help-config --images)', async t => {
  const imagesText = renderImageSettingsReference('text')
  const imagesMarkdown = renderImageSettingsReference('markdown')
  t.matchSnapshot(imagesText, 'text')
  t.matchSnapshot(imagesMarkdown, 'markdown')
  for (const section of IMAGE_SECTIONS) t.match(imagesText, `\n[${section.name}]\n`)
  for (const row of IMAGE_KEYS) t.match(imagesText, `\n  ${row.key}${row.list ? '[]' : ''} = ${row.value}\n`, `${row.section}.${row.key}`)
  t.same(imagesText.split('\n').filter(line => line.length > 78 && line.trim().includes(' ')), [], 'lines fit in 78 columns')
  const rows = imagesMarkdown.split('\n').filter(line => line.startsWith('| `'))
  t.equal(rows.length, IMAGE_KEYS.length, 'one table row per key')
  for (const row of rows) t.equal(row.replace(/\\\|/g, '').split('|').length - 2, 4, `4 cells: ${row.slice(0, 30)}`)
})
