// `import x from './lite.node' with { type: 'file' }`: Bun gives the embedded file's path.
declare module '*.node' {
  const path: string
  export default path
}
