import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadRecipe, withNeeded } from '../../runtime/rootfs-build/recipe.ts'

const BASE = ['[profile]', 'kind = busybox', '', '[run]', 'cmd = /bin/true', ''].join('\n')

function recipeWith(t: Test, body: string) {
  const dir = t.testdir()
  writeFileSync(join(dir, 'p.ini'), BASE + body)
  return { dir, load: () => loadRecipe('p', dir) }
}

t.test('with[] brings the options an option needs, once each, after the given ones', async (t) => {
  const { load } = recipeWith(t, ['[with-a]', 'with[] = b', '', '[with-b]', 'with[] = c', 'with[] = a', '', '[with-c]', 'deb[] = libc', ''].join('\n'))
  const recipe = load()
  t.same(recipe.with.get('a')?.needs, ['b'])
  t.same(withNeeded(recipe, ['a']), ['a', 'b', 'c'], 'transitively, and a cycle ends')
  t.same(withNeeded(recipe, ['c', 'a']), ['c', 'a', 'b'], 'the given order first, no repeats')
  t.same(withNeeded(recipe, ['a', 'c', 'a']), ['a', 'c', 'b'], 'what is needed after all that is given')
  t.same(withNeeded(recipe, []), [])
})

t.test('with[] naming no option of the profile is a FILE:LINE error', async (t) => {
  const { dir, load } = recipeWith(t, ['[with-a]', 'with[] = nosuch', ''].join('\n'))
  t.throws(load, { message: `lite: error: ${join(dir, 'p.ini')}:7: [with-a] with: "nosuch" is not an option of this profile (a)\nlite: 1 error in ${join(dir, 'p.ini')}; nothing was built`, exitCode: 125 })
})
