// java --trace's pure parts: reading `jimage list --verbose` and the class-load
// log, and choosing what jlink leaves out.

import t from 'tap'
import { parseImageList, parseLoadedClasses, unusedClasses } from '../../runtime/rootfs-build/profiles/java-classes.ts'

const LIST = `jimage: /x/lib/modules

Module: java.base
Offset       Size       Compressed Entry
       18244         41         78 META-INF/services/java.nio.file.spi.FileSystemProvider
       18322        397        295 com/sun/crypto/provider/AESCipher.class
       18617        120        100 com/sun/crypto/provider/AESCrypt.class
       18912        900        500 java/lang/Object.class
       19000        800        400 java/lang/Unused.class
       19100        300        200 java/io/IOException.class
       19200        300        200 java/lang/VirtualMachineError.class
       19300        300        200 module-info.class

Module: java.sql
Offset       Size       Compressed Entry
       20000        500        300 java/sql/Driver.class
`

t.test('parseImageList: module headers, then size and path per row', async (t) => {
  const list = parseImageList(LIST)
  t.equal(list.length, 9)
  t.same(list[1], { module: 'java.base', path: 'com/sun/crypto/provider/AESCipher.class', size: 397 })
  t.same(list[8], { module: 'java.sql', path: 'java/sql/Driver.class', size: 500 })
})

t.test('parseLoadedClasses: only classes from the image, as /MODULE/PATH', async (t) => {
  const log = [
    'java.lang.Object source: jrt:/java.base',
    'java.lang.invoke.LambdaForm$MH/0x00000007c0000400 source: __JVM_LookupDefineClass__',
    'Main source: file:/app/app.jar',
    'Main$$Lambda$6/0x00000007c0000c18 source: Main',
    'java.sql.Driver source: jrt:/java.sql',
    'java.util.HashMap$Node source: jrt:/java.base',
    '',
  ].join('\n')
  t.same([...parseLoadedClasses(log)].sort(), ['/java.base/java/lang/Object.class', '/java.base/java/util/HashMap$Node.class', '/java.sql/java/sql/Driver.class'])
})

t.test('unusedClasses: what no run loaded, but never module-info, throwables, or a whole package', async (t) => {
  const loaded = new Set(['/java.base/java/lang/Object.class'])
  t.same(unusedClasses(parseImageList(LIST), loaded), [
    // of com/sun/crypto/provider nothing was loaded: its smallest class (AESCrypt) stays
    '/java.base/com/sun/crypto/provider/AESCipher.class',
    '/java.base/java/lang/Unused.class',
    // java/io keeps IOException as a throwable; java.sql's only class keeps its package
  ])
  const all = new Set(parseImageList(LIST).map((r) => `/${r.module}/${r.path}`))
  t.same(unusedClasses(parseImageList(LIST), all), [], 'everything loaded: nothing left out')
})

t.test('unusedClasses: a name with a glob character is kept rather than passed to jlink', async (t) => {
  const list = parseImageList(`Module: m\nOffset Size Compressed Entry\n 1 10 5 p/A.class\n 2 20 5 p/B[x].class\n 3 30 5 p/C.class\n`)
  t.same(unusedClasses(list, new Set(['/m/p/A.class'])), ['/m/p/C.class'])
})
