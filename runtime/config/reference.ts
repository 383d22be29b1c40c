// The config reference, generated from the key table: `lite help-config`
// prints the text form, and the markdown form is the README's table.

import { formatByteSize } from './bounded-read.ts'
import { CONFIG_FILE_LIMIT } from './parse.ts'
import { MAX_NAME_LENGTH } from './scan.ts'
import { KEYS, SECTIONS, type KeySpec } from './schema.ts'
import { DEFAULT_IMAGES_CONFIG, IMAGE_KEYS, IMAGE_SECTIONS } from '../image/settings.ts'

/** The file-format rules that hold for every key. */
const RULES = [
  'A config is an ini file: [section] headers, then "key = value" lines. Unknown sections and keys are errors.',
  'A list is written "key[] = item", one item per line; any other key may appear once per section.',
  'Lines starting with ; or # are comments. An inline comment needs whitespace before its ; or #, as in "size = 32M  ; cap".',
  'Any other ; or # in a value must be escaped as \\; or \\#, or the whole value quoted, as in cmd = "sh -c \'a; b\'".',
  'A value quoted as a whole with "..." is a JSON string (\\" \\\\ \\n work); with \'...\' it is taken literally.',
  'Booleans: yes/no, true/false, on/off, 1/0. Sizes: bytes, or 512K, 64M, 1G (powers of 1024).',
  'Durations: seconds (30, 0.5), or numbers with the units ms, s, m and h, largest first (500ms, 2m, 1m30s).',
  'Relative paths on the host are relative to the directory of the config file.',
  `A config is a regular file of at most ${formatByteSize(CONFIG_FILE_LIMIT)}; a section or key name is at most ${MAX_NAME_LENGTH} characters.`,
]

const LINE_WIDTH = 78

/** The default as the reference shows it; a required key shows "required" instead. */
function defaultText(row: KeySpec): string {
  if (row.defaultDoc !== undefined) return row.defaultDoc
  if (typeof row.default === 'string') return row.default
  if (row.default) return row.default.doc
  return row.required ? 'required' : 'none'
}

function form(row: KeySpec): string {
  return `${row.key}${row.list ? '[]' : ''} = ${row.value}`
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(w => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > LINE_WIDTH) {
      lines.push(indent + line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(indent + line)
  return lines
}

function renderText(): string {
  const out: string[] = ['lite configuration reference', '']
  for (const rule of RULES) out.push(...wrap(rule, '  ').map((l, i) => (i === 0 ? `- ${l.slice(2)}` : l)))
  for (const section of SECTIONS) {
    out.push('', `[${section.name}]`, ...wrap(section.doc, '  '))
    for (const row of KEYS) {
      if (row.section !== section.name) continue
      out.push('', `  ${form(row)}`)
      out.push(...wrap(row.required ? defaultText(row) : `default: ${defaultText(row)}`, '      '))
      out.push(...wrap(row.doc, '      '))
      const equivalents = [row.lxc && `LXC: ${row.lxc}`, row.nspawn && `nspawn: ${row.nspawn}`].filter(Boolean)
      if (equivalents.length > 0) out.push(...wrap(equivalents.join('; '), '      '))
    }
  }
  return out.join('\n') + '\n'
}

/** Text that markdown would otherwise read as markup (tables, HTML, escapes). */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\*/g, '\\*')
}

/** A code span; table cells still need their '|' escaped. */
function code(text: string): string {
  return '`' + text.replace(/\|/g, '\\|') + '`'
}

/** LXC/nspawn names in code; explanations in parentheses as text. */
function equivalent(name: string | undefined): string {
  if (!name) return '—'
  return name.startsWith('(') ? md(name) : name.split(', ').map(code).join(', ')
}

function renderMarkdown(): string {
  const out: string[] = RULES.map(rule => `- ${md(rule)}`)
  for (const section of SECTIONS) {
    out.push('', `### \`[${section.name}]\``, '', md(section.doc), '')
    out.push('| key | value | default | description | LXC | nspawn |', '| --- | --- | --- | --- | --- | --- |')
    for (const row of KEYS) {
      if (row.section !== section.name) continue
      const literal = row.defaultDoc === undefined && typeof row.default === 'string'
      const def = literal ? code(row.default as string) : row.required ? `**${md(defaultText(row))}**` : md(defaultText(row))
      const cells = [
        code(`${row.key}${row.list ? '[]' : ''}`),
        md(row.value),
        def,
        md(row.doc),
        equivalent(row.lxc),
        equivalent(row.nspawn),
      ]
      out.push(`| ${cells.join(' | ')} |`)
    }
  }
  return out.join('\n') + '\n'
}

/** The reference for every section and key, as plain text or as markdown. */
export function renderConfigReference(format: 'text' | 'markdown'): string {
  return format === 'markdown' ? renderMarkdown() : renderText()
}

/** What holds for images.ini as a whole, before its sections. */
const IMAGE_RULES = [
  `The image settings of a board: ${DEFAULT_IMAGES_CONFIG}, or the file LITE_IMAGES_CONFIG or --images-config names ` +
    '(which must then exist). Without the default file, every key has its default.',
  'It is read like a container config (the same ini rules, the same FILE:LINE errors). Relative paths are relative to its directory.',
  'LITE_STORE or --store replace [store] path; REGISTRY_AUTH_FILE replaces [store] auth.',
  'A registry is not a section of its own: ini would split a header such as [registry "10.0.0.1:5000"] at its dots. ' +
    'Each [registry] list item starts with the host instead.',
]

/** The images.ini reference, as plain text (lite help-config --images) or markdown (README). */
export function renderImageSettingsReference(format: 'text' | 'markdown'): string {
  if (format === 'text') {
    const out: string[] = ['lite image settings reference (images.ini)', '']
    for (const rule of IMAGE_RULES) out.push(...wrap(rule, '  ').map((l, i) => (i === 0 ? `- ${l.slice(2)}` : l)))
    for (const section of IMAGE_SECTIONS) {
      out.push('', `[${section.name}]`, ...wrap(section.doc, '  '))
      for (const row of IMAGE_KEYS) {
        if (row.section !== section.name) continue
        out.push('', `  ${row.key}${row.list ? '[]' : ''} = ${row.value}`)
        out.push(...wrap(`default: ${row.defaultDoc}`, '      '), ...wrap(row.doc, '      '))
      }
    }
    return out.join('\n') + '\n'
  }
  const out: string[] = IMAGE_RULES.map(rule => `- ${md(rule)}`)
  for (const section of IMAGE_SECTIONS) {
    out.push('', `### \`[${section.name}]\` (images.ini)`, '', md(section.doc), '')
    out.push('| key | value | default | description |', '| --- | --- | --- | --- |')
    for (const row of IMAGE_KEYS) {
      if (row.section !== section.name) continue
      out.push(`| ${[code(`${row.key}${row.list ? '[]' : ''}`), md(row.value), md(row.defaultDoc), md(row.doc)].join(' | ')} |`)
    }
  }
  return out.join('\n') + '\n'
}
