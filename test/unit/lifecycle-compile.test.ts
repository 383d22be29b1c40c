// withSeccompFilter: the plan's seccomp rules become the BPF the addon compiled, once,
// so that the compiled-plan cache keeps the filter and not the rules.

import t from 'tap'
import { withSeccompFilter } from '../../runtime/lifecycle/compile.ts'
import type { LaunchPlan } from '../../runtime/plan/build.ts'

const rules = { arch: 'x86_64', defaultAction: 'errno', rules: [{ names: ['read'], action: 'allow', args: [] }] }
const planWith = (seccomp?: typeof rules) => ({ native: { argv: ['/bin/true'], ...(seccomp ? { seccomp } : {}) }, other: 1 }) as unknown as LaunchPlan

t.test('rules in, the filter out; the plan given is not changed', async (t) => {
  const calls: unknown[] = []
  const plan = planWith(rules)
  const out = withSeccompFilter(plan, { compileSeccomp: (spec) => (calls.push(spec), [6, 0x7fff0000]) })
  t.same(calls, [rules])
  t.same(out.native.seccompFilter, [6, 0x7fff0000])
  t.equal(out.native.seccomp, undefined)
  t.equal((out as unknown as { other: number }).other, 1)
  t.same(plan.native.seccomp, rules, 'the input plan keeps its rules')
})

t.test('unconfined: nothing to compile, the same plan', async (t) => {
  const plan = planWith()
  t.equal(withSeccompFilter(plan, { compileSeccomp: () => t.fail('not called') as never }), plan)
})

t.test('rules the addon refuses: a setup error naming [security] seccomp', async (t) => {
  const refuse = () => {
    throw new Error('invalid launch plan: seccomp: the filter is for aarch64 but lite runs on x86_64')
  }
  t.throws(() => withSeccompFilter(planWith(rules), { compileSeccomp: refuse }), { name: 'LiteError', message: /^\[security\] seccomp: invalid launch plan: seccomp: the filter is for aarch64/ })
})
