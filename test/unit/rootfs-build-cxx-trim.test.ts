import t from 'tap'
import { libstdcxxImports, versionScript } from '../../runtime/rootfs-build/cxx-trim.ts'

// `nm -D --undefined-only` of an importer, as binutils 2.40 prints it
const NM = [
  '                 U _ZSt7nothrow@GLIBCXX_3.4',
  '                 U _ZdlPvm@CXXABI_1.3.9',
  '                 w __cxa_pure_virtual@CXXABI_1.3',
  '                 U __cxa_demangle@@CXXABI_1.3',
  '                 U malloc@GLIBC_2.2.5',
  '                 U _Unwind_Resume@GCC_3.0',
  '                 w __gmon_start__',
  '                 w _ITM_deregisterTMCloneTable',
  '',
].join('\n')

t.test('only the imports under a libstdc++ version node are its', async (t) => {
  t.same(libstdcxxImports(NM), [
    { name: '_ZSt7nothrow', version: 'GLIBCXX_3.4' },
    { name: '_ZdlPvm', version: 'CXXABI_1.3.9' },
    { name: '__cxa_pure_virtual', version: 'CXXABI_1.3' },
    { name: '__cxa_demangle', version: 'CXXABI_1.3' },
  ], 'U and w, @ and @@; libc, libgcc_s and unversioned weak references are not')
  t.same(libstdcxxImports(''), [])
})

t.test('the version script: one node per version, names sorted, the rest local', async (t) => {
  const script = versionScript([...libstdcxxImports(NM), { name: '_Znwm', version: 'GLIBCXX_3.4' }, { name: '_Znwm', version: 'GLIBCXX_3.4' }])
  t.equal(script, [
    'CXXABI_1.3 {',
    '  global:',
    '    __cxa_demangle;',
    '    __cxa_pure_virtual;',
    '  local: *;',
    '};',
    'CXXABI_1.3.9 {',
    '  global:',
    '    _ZdlPvm;',
    '};',
    'GLIBCXX_3.4 {',
    '  global:',
    '    _ZSt7nothrow;',
    '    _Znwm;',
    '};',
    '',
  ].join('\n'))
  t.throws(() => versionScript([]), { message: 'no libstdc++ symbol to export' })
})
