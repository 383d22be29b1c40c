/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/image-settings.test.ts > TAP > errors: every one, at its line > a bad images.ini 1`] = `
lite: error: images.ini:2: unknown key "paht" in [store] (did you mean "path"?)
lite: error: images.ini:3: [store] keep_blobs: "maybe" is not a boolean (use yes/no, true/false, on/off or 1/0)
lite: error: images.ini:5: duplicate key "max_layer_size" in [store] (first at line 4); write "max_layer_size[] = ..." for lists
lite: error: images.ini:6: unknown key "insecure" in [store]; it belongs in [registry]
lite: error: images.ini:7: malformed section header "[registry \\"127.0.0.1:5000\\"]": a section name is letters, digits, '-' and '_'; registries are listed in [registry] (insecure[] = HOST, ca[] = HOST FILE, mirror[] = HOST MIRROR)
lite: error: images.ini:9: unknown section [registri] (did you mean [registry]?)
lite: error: images.ini:11: [registry] insecure is a list; write "insecure[] = ..." on each line
lite: error: images.ini:12: [registry] mirror: "docker.io" is not "HOST MIRROR-HOST"
lite: error: images.ini:13: [registry] mirror: "https://docker.io" is not a registry host (host[:port], e.g. 127.0.0.1:5000 or ghcr.io; no scheme, no path)
lite: error: images.ini:14: [registry] mirror: "docker.io" can't be its own mirror
lite: error: images.ini:15: [registry] mirror: "a:99999": port 99999 is out of range
lite: error: images.ini:16: [registry] ca: "missing.pem": No such file or directory (ENOENT)
lite: error: images.ini:17: key "insecure" in [registry] is written both as "insecure" and as "insecure[]" (first at line 11); use one form
lite: 13 errors in images.ini; nothing was started

`

exports[`test/unit/image-settings.test.ts > TAP > errors: every one, at its line > scanner errors come through 1`] = `
lite: error: images.ini:4: [store] cmd: unquoted '#' would cut the value here; quote the whole value ('...') or escape it as \\#
lite: error: images.ini:4: unknown key "cmd" in [store]
lite: 2 errors in images.ini; nothing was started

`

exports[`test/unit/image-settings.test.ts > TAP > errors: every one, at its line > small layer limit, empty path 1`] = `
lite: error: images.ini:2: [store] max_layer_size: "100" is below 1K; no real layer fits
lite: error: images.ini:5: [store] path: empty path
lite: 2 errors in images.ini; nothing was started

`
