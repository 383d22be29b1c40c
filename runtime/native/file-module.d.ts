// `import x from './lite.node' with { type: 'file' }`: Bun gives the embedded file's path.
declare module '*.node' {
  const path: string
  export default path
}

// The same for the gzip of the addon that the build embeds (embedded.ts).
declare module '*.node.gz' {
  const path: string
  export default path
}
