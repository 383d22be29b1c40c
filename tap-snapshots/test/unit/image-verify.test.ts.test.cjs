/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/image-verify.test.ts > TAP > a truncated layer blob: the image is damaged, the blob named > the human output of a damaged image 1`] = `
damaged sha256:824e2716716649b121300625fd217d15f0bbfe4c50cd4540a9bbd69da5788cff: blobs/sha256/0a134d62a0d0780285329bfcdf6869ad2ebe26c60d9602444ec75e33f771bffa: 10 bytes, image.json says 2048, sha256 is ce43056361a2… (truncated or damaged)
verified 1 images: 0 ok, 1 damaged; 0 dangling; 0 orphans
`
