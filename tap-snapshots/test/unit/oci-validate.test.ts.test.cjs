/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/oci-validate.test.ts > TAP > 64-bit integers are read exactly from the text > beyond what is exact, or beyond 64 bits 1`] = `
config.json: .process.rlimits[0].soft: 9007199254740993 is larger than lite can hold exactly (at most 9007199254740991, or 18446744073709551615 for unlimited)
config.json: .process.rlimits[0].hard: 18446744073709551616 is out of range (0..18446744073709551615)
config.json: .linux.seccomp.syscalls[0].args[0].value: 18446744073709551616 is out of range (0..18446744073709551615)
3 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > 64-bit integers are read exactly from the text > not integers, or negative 1`] = `
config.json: .process.rlimits[0].soft: 1.5 is not an integer
config.json: .process.rlimits[0].hard: 1e3 is not an integer
config.json: .linux.seccomp.syscalls[0].args[0].value: -1 is out of range (0..18446744073709551615)
3 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a bad escape > must match snapshot 1`] = `
config.json:1:17: not valid JSON: "\\d" is not a JSON escape
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a missing comma > must match snapshot 1`] = `
config.json:4:3: not valid JSON: expected ',' or '}' after an object member but found '"' (is a comma missing?)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a raw tab inside a string > must match snapshot 1`] = `
config.json:1:16: not valid JSON: a control character (U+0009) must be escaped inside a string
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a short \\u escape > must match snapshot 1`] = `
config.json:1:15: not valid JSON: "\\u" must be followed by four hex digits
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a string broken by a newline > must match snapshot 1`] = `
config.json:1:14: not valid JSON: a string is not closed on its line
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a string not closed > must match snapshot 1`] = `
config.json:1:16: not valid JSON: a string is not closed
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > a trailing comma > must match snapshot 1`] = `
config.json:5:2: not valid JSON: a comma before ']' (JSON has no trailing commas)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > an array, not an object > must match snapshot 1`] = `
config.json: the top level must be a JSON object, not an array
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > an empty file > must match snapshot 1`] = `
config.json:1:1: not valid JSON: the file is empty; config.json holds one JSON object
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > an octal-looking file mode > must match snapshot 1`] = `
config.json:1:37: not valid JSON: a number must not start with 0 (JSON has no octal; write a file mode in decimal, 0644 as 420)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > characters before the error are counted, not bytes > must match snapshot 1`] = `
config.json:1:29: not valid JSON: expected a value but found '?'
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > nested too deeply > must match snapshot 1`] = `
config.json:1:207: not valid JSON: nested deeper than 200 levels
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > not closed > must match snapshot 1`] = `
config.json:2:27: not valid JSON: expected ',' or '}' after an object member but found the end of the file
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > only spaces > must match snapshot 1`] = `
config.json:3:2: not valid JSON: the file is empty; config.json holds one JSON object
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > single quotes > must match snapshot 1`] = `
config.json:1:2: not valid JSON: expected a member name in double quotes but found '''
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > text after the object > must match snapshot 1`] = `
config.json:1:25: not valid JSON: '{' after the end of the JSON value
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > bad JSON: line and column > True > must match snapshot 1`] = `
config.json:1:26: not valid JSON: "True" is not a JSON value (true, false and null are lower-case; strings are in double quotes)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > a joined user namespace with mappings, where no process is > must match snapshot 1`] = `
config.json: .linux.uidMappings: user namespaces enabled with both a namespace path and mappings, and lite can't check that they agree: /proc/4194305/ns/user is not there
config.json: .linux.gidMappings: user namespaces enabled with both a namespace path and mappings, and lite can't check that they agree: /proc/4194305/ns/user is not there
2 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > a mount onto /proc/.. > must match snapshot 1`] = `
config.json: .mounts[0].destination: mount onto "/proc/..": a destination must not have a ".." component
config.json: .mounts[1].destination: mount onto "/": that is the container's / itself, which root.path sets up
config.json: .mounts[2].destination: mount onto "/.": that is the container's / itself, which root.path sets up
config.json: .mounts[3].destination: must not be empty
4 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > a new user namespace without its gid mappings > must match snapshot 1`] = `
config.json: .linux.gidMappings: user namespaces enabled, but no gid mappings found: a new user namespace (a "user" entry without a path) needs them
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > a relative mount destination in a 1.0 config > must match snapshot 1`] = `
config.json: .mounts[0].destination: "data" is not an absolute path (runtime-spec 1.0 requires one; 1.1 allows a relative path)
config.json: .mounts[0].options[1]: must be a string, not a number
2 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > control characters and long values are escaped and cut > must match snapshot 1`] = `
config.json: .process.cwd: "relative\\u202e/\\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" is not an absolute path
config.json: .hostname: "x\\x1b[31mx\\x1b[31mx\\x1b[31mx\\x1b[31mx\\x1b[31mx…[31mx\\x1b[31mx\\x1b[31mx\\x1b[31m" is longer than 64 bytes, the kernel's limit
config.json: .annotations["a\\x1b[2J"]: must be a string, not a number
3 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > devices, rules and resources > must match snapshot 1`] = `
config.json: .linux.devices[0].path: "/tmp/null" is not under /dev
config.json: .linux.devices[1].type: unknown device type "x" (one of: c, b, u, p)
config.json: .linux.devices[1].path: "dev/null" is not an absolute path
config.json: .linux.devices[2].path: "/dev/../etc/shadow" has a ".." component
config.json: .linux.devices[2].major: 4096 is out of range (0..4095)
config.json: .linux.devices[2].fileMode: 4096 is out of range (0..4095, i.e. 0o7777)
config.json: .linux.devices[3].major: required but missing
config.json: .linux.devices[3].minor: required but missing
config.json: .linux.resources.devices[0].allow: required but missing
config.json: .linux.resources.devices[1].type: unknown device rule type "d" (one of: a, c, b)
config.json: .linux.resources.devices[1].access: "rwx" is not a subset of "rwm"
config.json: .linux.resources.memory.kernel: -2 is out of range (-1..9223372036854775807)
config.json: .linux.resources.memory.swap: 33554432 is below the memory limit (67108864); swap counts memory plus swap
config.json: .linux.resources.cpu.shares: -1 is out of range (0..9007199254740991)
config.json: .linux.resources.cpu.idle: 2 is out of range (0..1)
config.json: .linux.resources.blockIO.weight: 70000 is out of range (0..65535)
config.json: .linux.resources.blockIO.weightDevice[0].major: required but missing
config.json: .linux.resources.blockIO.weightDevice[0].minor: required but missing
config.json: .linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: 1.5 is not an integer
config.json: .linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size such as "2MB" or "1GB"
config.json: .linux.resources.hugepageLimits[1].pageSize: required but missing
config.json: .linux.resources.rdma: the rdma cgroup controller (linux.resources.rdma) is not supported
config.json: .linux.resources.unified["../memory.max"]: must be a plain cgroup file name such as "memory.high"
config.json: .linux.resources.unified["memory.high"]: must be a string, not a number
config.json: .linux.resources.unified[""]: must be a plain cgroup file name such as "memory.high"
25 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > hooks > must match snapshot 1`] = `
config.json: .hooks.prestart[0].path: "relative/hook" is not an absolute path
config.json: .hooks.createContainer[0].args: must be an array of strings, not a string
config.json: .hooks.createContainer[0].env[0]: "NOEQUALS" is not NAME=VALUE
config.json: .hooks.createContainer[0].timeout: 0 is out of range (1..2147483647)
config.json: .hooks.poststart: must be an array, not an object
config.json: .hooks.poststop[0].path: required but missing
6 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > intelRdt > must match snapshot 1`] = `
config.json: .linux.intelRdt: intelRdt is not supported
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > mappings out of range, empty or overlapping > must match snapshot 1`] = `
config.json: .linux.uidMappings[0].size: 0 is out of range (1..4294967295)
config.json: .linux.uidMappings[1].containerID: 4294967295 is out of range (0..4294967294)
config.json: .linux.uidMappings[2]: the hostID range 4294967290..4294967299 runs past 4294967294, the largest id
config.json: .linux.uidMappings[4]: its containerID range overlaps that of .linux.uidMappings[3]; the kernel refuses overlapping ranges
config.json: .linux.uidMappings[5]: its hostID range overlaps that of .linux.uidMappings[3]; the kernel refuses overlapping ranges
config.json: .linux.uidMappings[6].size: required but missing
config.json: .linux.gidMappings: 341 mappings; the kernel takes at most 340
7 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > mappings without a user namespace > must match snapshot 1`] = `
config.json: .linux.gidMappings: uid/gid mappings without user namespace: linux.namespaces has no "user"
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > not a version > must match snapshot 1`] = `
config.json: .ociVersion: "v1" is not a version such as "1.2.0"
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > paths, sysctl, propagation, personality > must match snapshot 1`] = `
config.json: .linux.netDevices: moving network devices into the container (linux.netDevices) is not supported
config.json: .linux.cgroupsPath: "../../escape" has a ".." component
config.json: .linux.rootfsPropagation: unknown rootfs propagation "rprivat" (did you mean "rprivate"?)
config.json: .linux.sysctl["net/ipv4/ip_forward"]: a sysctl name is dotted ("net.ipv4.ip_forward"), without "/" and without empty parts
config.json: .linux.sysctl["net..ipv4"]: a sysctl name is dotted ("net.ipv4.ip_forward"), without "/" and without empty parts
config.json: .linux.maskedPaths[0]: "proc/kcore" is not an absolute path
config.json: .linux.maskedPaths[1]: "/proc/../etc/shadow" has a ".." component
config.json: .linux.readonlyPaths[1]: "" is not an absolute path
config.json: .linux.personality.domain: unknown personality domain "LINUX64" (did you mean "LINUX"?)
config.json: .linux.personality.flags: personality flags are not supported ("ADDR_NO_RANDOMIZE")
10 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > process without args > must match snapshot 1`] = `
config.json: .process.user: required but missing
config.json: .process.args: must name the program to run (it is empty)
config.json: .process.cwd: required but missing
3 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > process: args, cwd, user and rlimits > must match snapshot 1`] = `
config.json: .process.user.gid: required but missing
config.json: .process.args[0]: the program to run must not be empty
config.json: .process.cwd: "home" is not an absolute path
config.json: .process.rlimits[0].type: unknown resource limit "RLIMIT_NOFLIE" (did you mean "RLIMIT_NOFILE"?)
config.json: .process.rlimits[1]: the soft limit (4096) is above the hard limit (1024)
config.json: .process.rlimits[2].type: RLIMIT_NOFILE is set twice
config.json: .process.rlimits[3]: the soft limit (unlimited) is above the hard limit (0)
config.json: .process.rlimits[4].soft: required but missing
config.json: .process.rlimits[4].hard: required but missing
config.json: .process.oomScoreAdj: 1001 is out of range (-1000..1000)
config.json: .process.scheduler: a scheduling policy (process.scheduler) is not supported
11 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > relative root that escapes the bundle > must match snapshot 1`] = `
config.json: .root.path: "../x" is outside the bundle (a relative root path is taken from the bundle directory)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > relative root that escapes the bundle after going down > must match snapshot 1`] = `
config.json: .root.path: "rootfs/../../etc" is outside the bundle (a relative root path is taken from the bundle directory)
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > required parts missing > must match snapshot 1`] = `
config.json: .ociVersion: required but missing
config.json: .root: required but missing
2 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > seccomp flags, arches, actions and arguments > must match snapshot 1`] = `
config.json: .linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_KIL" (did you mean "SCMP_ACT_KILL"?)
config.json: .linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_X86_46" (did you mean "SCMP_ARCH_X86_64"?)
config.json: .linux.seccomp.architectures[1]: unknown seccomp architecture "x86_64" (did you mean "SCMP_ARCH_X86_64"?)
config.json: .linux.seccomp.flags[1]: seccomp flag SECCOMP_FILTER_FLAG_LOG is not supported: lite's seccomp filter cannot ask the kernel to log its actions yet
config.json: .linux.seccomp.flags[2]: seccomp flag SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported: lite's seccomp filter cannot leave speculative store bypass mitigation off yet
config.json: .linux.seccomp.flags[3]: unknown seccomp flag "SECCOMP_FILTER_FLAG_TSINC" (did you mean "SECCOMP_FILTER_FLAG_TSYNC"?)
config.json: .linux.seccomp.syscalls[0].names: must name at least one system call
config.json: .linux.seccomp.syscalls[1].names[0]: "Read" is not a system call name
config.json: .linux.seccomp.syscalls[1].errnoRet: applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW
config.json: .linux.seccomp.syscalls[2].errnoRet: 4096 is out of range (0..4095)
config.json: .linux.seccomp.syscalls[2].args[0].index: 6 is out of range (0..5)
config.json: .linux.seccomp.syscalls[2].args[0].value: -1 is out of range (0..18446744073709551615)
config.json: .linux.seccomp.syscalls[2].args[0].op: unknown seccomp comparison "SCMP_CMP_EQQ" (did you mean "SCMP_CMP_EQ"?)
config.json: .linux.seccomp.syscalls[2].args[1].index: required but missing
config.json: .linux.seccomp.syscalls[2].args[1].op: required but missing
15 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > seccomp notify and listenerPath > must match snapshot 1`] = `
config.json: .linux.seccomp.listenerPath: seccomp notify (listenerPath) is not supported: lite has no seccomp agent
config.json: .linux.seccomp.syscalls[0].action: seccomp notify (SCMP_ACT_NOTIFY) is not supported: lite has no seccomp agent
2 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > time namespace > must match snapshot 1`] = `
config.json: .linux.namespaces[2].type: time namespaces are not supported
config.json: .linux.timeOffsets: time namespaces (linux.timeOffsets) are not supported
2 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > unknown capability > must match snapshot 1`] = `
config.json: .process.capabilities.bounding[0]: unknown capability "CAP_NET_ADMN" (did you mean "CAP_NET_ADMIN"?)
config.json: .process.capabilities.bounding[1]: unknown capability "SYS_ADMIN" (did you mean "CAP_SYS_ADMIN"?)
config.json: .process.capabilities.bounding[2]: unknown capability "cap_chown" (did you mean "CAP_CHOWN"?)
config.json: .process.capabilities.bounding[3]: unknown capability "CAP_FLY"
config.json: .process.capabilities.permitted: must be an array, not a string
5 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > unknown namespace type > must match snapshot 1`] = `
config.json: .linux.namespaces[2].type: unknown namespace type "foo" (one of: pid, network, mount, ipc, uts, user, cgroup, time)
config.json: .linux.namespaces[3].type: unknown namespace type "net" (did you mean "network"?)
config.json: .linux.namespaces[4].type: unknown namespace type "ut" (did you mean "uts"?)
config.json: .linux.namespaces[5].path: "proc/1/ns/ipc" is not an absolute path
config.json: .linux.namespaces[6].type: the pid namespace is listed twice
5 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > version > must match snapshot 1`] = `
config.json: .ociVersion: runtime-spec "2.0.0" is not supported; lite supports runtime-spec 1.0, 1.1 and 1.2
1 error in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > malformed configs: every error, with its JSON path > wrong types at several paths > must match snapshot 1`] = `
config.json: .ociVersion: must be a string, not a number
config.json: .root.readonly: must be true or false, not a string
config.json: .process.terminal: must be true or false, not a number
config.json: .process.user.uid: must be an integer, not a string
config.json: .process.user.gid: 1.5 is not an integer
config.json: .process.user.additionalGids[0]: 4294967295 is out of range (0..4294967294)
config.json: .process.args: must be an array of strings, not a string
config.json: .process.env[1]: must be a string, not a number
config.json: .process.env[2]: "NOEQUALS" is not NAME=VALUE
config.json: .process.env[3]: "=value" has an empty name
config.json: .mounts: must be an array, not an object
config.json: .annotations["io.example.count"]: must be a string, not a number
config.json: .linux.namespaces[1]: must be an object, not a string
config.json: .linux.resources.memory.limit: must be an integer, not a string
config.json: .linux.resources.memory.swappiness: 101 is out of range (0..100)
config.json: .linux.resources.cpu.cpus: "0-3;5" is not a list such as "0-3,6"
config.json: .linux.resources.pids.limit: required but missing
config.json: .linux.sysctl["net.ipv4.ip_forward"]: must be a string, not a number
18 errors in config.json; nothing was created
`

exports[`test/unit/oci-validate.test.ts > TAP > unknown keys are ignored; near misses of known keys are warned about > must match snapshot 1`] = `
bundle/config.json: .process.capabilites: unknown key, ignored (did you mean "capabilities"?)
bundle/config.json: .process.user.additionalGIDs: unknown key, ignored (did you mean "additionalGids"?)
bundle/config.json: .hooks.poststrat: unknown key, ignored (did you mean "poststart"?)
bundle/config.json: .linux.namespace: unknown key, ignored (did you mean "namespaces"?)
`
