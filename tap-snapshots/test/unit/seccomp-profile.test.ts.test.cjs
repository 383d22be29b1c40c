/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/seccomp-profile.test.ts > TAP > every error of a bad profile, each at its line > must match snapshot 1`] = `
2: defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent, which lite does not have
3: flags are not supported by lite
5: syscalls[0].errnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE
6: syscalls[1]: "Bad Name" is not a syscall name
6: syscalls[1].errnoRet 5000 is out of range (0..4095)
7: syscalls[2].args[0]: valueTwo has bits outside the mask in value, so it can never match
8: syscalls[3].includes.caps[0]: unknown capability "CAP_NOPE"
8: syscalls[3].includes.arches[0]: unknown arch "vax" (Docker's names: amd64, arm64, ...)
8: syscalls[3].includes.minKernel: "four" is not a kernel version such as "4.8"
9: syscalls[4]: unknown field "actoin" (known: names, name, action, errnoRet, args, comment, includes, excludes)
9: syscalls[4] has no "action"
`
