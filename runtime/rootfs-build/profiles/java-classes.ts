// Which classes a traced java image leaves out: the image's resources (from
// `jimage list --verbose`), the classes the traced runs loaded (from
// -Xlog:class+load), and the rule that picks jlink's exclusions from both.

/** One resource of a jimage, as `jimage list --verbose` prints it. */
export interface ImageResource {
  module: string
  /** the path inside the module: java/lang/Object.class */
  path: string
  size: number
}

/** Parses `jimage list --verbose`: "Module: NAME" headers, then "offset size compressed path" rows. */
export function parseImageList(text: string): ImageResource[] {
  const out: ImageResource[] = []
  let module: string | undefined
  for (const line of text.split('\n')) {
    const header = /^Module: (\S+)$/.exec(line)
    if (header) {
      module = header[1]
      continue
    }
    const row = /^\s*\d+\s+(\d+)\s+\d+\s+(\S+)$/.exec(line)
    if (row && module) out.push({ module, path: row[2]!, size: Number(row[1]) })
  }
  return out
}

/**
 * The classes -Xlog:class+load (decorations off) shows as loaded from the
 * image: "java.lang.Object source: jrt:/java.base" → "/java.base/java/lang/Object.class".
 * Classes of the app's jar and hidden classes (lambdas, lambda forms) are not in the image.
 */
export function parseLoadedClasses(text: string): Set<string> {
  const out = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^(\S+) source: jrt:\/([\w.]+)$/.exec(line.trim())
    if (m) out.add(`/${m[2]}/${m[1]!.replaceAll('.', '/')}.class`)
  }
  return out
}

// jlink reads each line of its pattern file as a glob; a name with a glob's own
// characters in it is kept rather than escaped (no class of the JDK has one).
const GLOB_CHARS = /[*?[\]{}\\,]/

// Exceptions and errors stay whether loaded or not: an error path the trace did
// not take must still throw the IOException the app catches, not a
// NoClassDefFoundError that no catch clause expects.
const THROWABLE = /(Exception|Error)\.class$/

/**
 * The classes to leave out, as jlink's /MODULE/PATH patterns: every .class no
 * run loaded, except module-info, exceptions and errors, and, in a package
 * none of whose classes stays, its smallest class (jlink refuses an image
 * where a package the module descriptor names has no resource).
 */
export function unusedClasses(resources: ImageResource[], loaded: Set<string>): string[] {
  const packages = new Map<string, ImageResource[]>()
  for (const r of resources) {
    if (!r.path.endsWith('.class') || r.path.endsWith('module-info.class')) continue
    const pkg = `${r.module}/${r.path.slice(0, Math.max(0, r.path.lastIndexOf('/')))}`
    let list = packages.get(pkg)
    if (!list) packages.set(pkg, (list = []))
    list.push(r)
  }
  const out: string[] = []
  for (const list of packages.values()) {
    const unused = list.filter((r) => !loaded.has(`/${r.module}/${r.path}`) && !THROWABLE.test(r.path))
    if (unused.length === list.length) {
      const smallest = [...unused].sort((a, b) => a.size - b.size || (a.path < b.path ? -1 : 1))[0]!
      unused.splice(unused.indexOf(smallest), 1)
    }
    for (const r of unused) if (!GLOB_CHARS.test(r.path)) out.push(`/${r.module}/${r.path}`)
  }
  return out.sort()
}
