import t from 'tap'
import { ownV1Procs } from '../../runtime/cgroup/prewarm.ts'
import { parseMountInfo } from '../../runtime/host/mountinfo.ts'

const mounts = parseMountInfo(
  [
    '30 24 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
    '31 24 0:27 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd',
    '35 24 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
    '36 24 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
  ].join('\n'),
)

t.test('the first v1 hierarchy with a mount gives our own cgroup.procs', async t => {
  t.equal(ownV1Procs('4:memory:/user.slice/a\n0::/x\n', mounts), '/sys/fs/cgroup/memory/user.slice/a/cgroup.procs')
  t.equal(ownV1Procs('2:cpu,cpuacct:/\n', mounts), '/sys/fs/cgroup/cpu,cpuacct/cgroup.procs')
  t.equal(ownV1Procs('1:name=systemd:/init.scope\n', mounts), '/sys/fs/cgroup/systemd/init.scope/cgroup.procs')
  // A hierarchy that is not mounted is skipped.
  t.equal(ownV1Procs('9:pids:/\n4:memory:/\n', mounts), '/sys/fs/cgroup/memory/cgroup.procs')
})

t.test('a pure v2 host (or none) has nothing to prewarm', async t => {
  t.equal(ownV1Procs('0::/user.slice\n', mounts), undefined)
  t.equal(ownV1Procs('', mounts), undefined)
})
