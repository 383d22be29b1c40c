// Bun's text imports (`import x from './f.py' with { type: 'text' }`): the
// file's contents, embedded in the compiled binary.
declare module '*.py' {
  const text: string
  export default text
}
declare module '*.java' {
  const text: string
  export default text
}
