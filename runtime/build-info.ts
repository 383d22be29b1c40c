// What scripts/build defines for this binary (bun build --define): lite's build id (it
// keys the compiled-plan cache), and the embedded addon's id and size. Run from
// source there is no build id, so no cache, and the addon comes from LITE_NATIVE_ADDON.

/** lite's build id: a hash of the sources, the seccomp profile and the addon */
export const BUILD_ID = process.env.LITE_BUILD_ID ?? ''
/** a hash of the embedded addon: its unpacked file's name */
export const ADDON_ID = process.env.LITE_ADDON_ID ?? 'dev'
/** the unpacked addon's size in bytes */
export const ADDON_BYTES = Number(process.env.LITE_ADDON_BYTES ?? 0)
