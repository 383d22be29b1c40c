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

t.test('[java] libstdcxx_static[] lists the packages of the static archives, and is a list', async (t) => {
  const java = ['[java]', 'jdk = openjdk-17-jdk-headless', 'libstdcxx_static[] = libstdc++-12-dev', 'libstdcxx_static[] = libgcc-12-dev', ''].join('\n')
  t.same(recipeWith(t, java).load().java.libstdcxxStatic, ['libstdc++-12-dev', 'libgcc-12-dev'])
  t.same(recipeWith(t, '').load().java.libstdcxxStatic, [], 'none: the image keeps the whole libstdc++')
  const { dir, load } = recipeWith(t, ['[java]', 'libstdcxx_static = libstdc++-12-dev', ''].join('\n'))
  t.throws(load, { message: `lite: error: ${join(dir, 'p.ini')}:7: "libstdcxx_static" is a list: write "libstdcxx_static[] = ..."\nlite: 1 error in ${join(dir, 'p.ini')}; nothing was built` })
})
