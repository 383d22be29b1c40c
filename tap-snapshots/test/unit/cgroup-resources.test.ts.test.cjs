/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/cgroup-resources.test.ts > TAP > a key for the wrong version or a missing controller says what the host has > hybrid 1`] = `
Array [
  "6: [cgroup2] memory.high: this host has memory on cgroup v1; use [cgroup] or [resources]",
  "8: [cgroup] io.weight: this host has no io cgroup controller",
  "10: [resources] io_weight: cgroup v1 (blkio.bfq.weight) takes 1..1000",
]
`

exports[`test/unit/cgroup-resources.test.ts > TAP > a key for the wrong version or a missing controller says what the host has > no memory controller (Raspberry Pi) 1`] = `
Array [
  "6: [resources] memory: this host has no memory cgroup controller: the memory controller is disabled on this kernel; on a Raspberry Pi, add \\"cgroup_enable=memory cgroup_memory=1\\" to the kernel command line (cmdline.txt) and reboot",
]
`

exports[`test/unit/cgroup-resources.test.ts > TAP > a key for the wrong version or a missing controller says what the host has > v1 host 1`] = `
Array [
  "6: [cgroup2] cgroup.max.depth: this host has no cgroup v2 (it is cgroup v1); use [cgroup] or [resources]",
]
`
