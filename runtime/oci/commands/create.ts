// `lite-oci create`: see ../launch.ts.
export { ociCreate } from '../launch.ts'
