// downloadBlob with responses made here: resume, ranges, sizes and digests, with a
// real BlobStore in a test dir. No network.

import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { contentRangeStart, downloadBlob, type OpenBlob } from '../../runtime/image/registry/blob-download.ts'
import { quietProgress } from '../../runtime/image/registry/progress.ts'
import { NetworkError } from '../../runtime/image/registry/transport.ts'
import { BlobStore } from '../../runtime/image/store/blobs.ts'
import { StoreLayout } from '../../runtime/image/store/layout.ts'

const data = Buffer.from('0123456789'.repeat(1000))
const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: data.length }

interface Answer {
  status: number
  body: Buffer
  headers?: Record<string, string>
  /** throw this many bytes in */
  breakAfter?: number
}

/** An OpenBlob that answers from a script, and records the ranges asked for. */
function scripted(answers: ((from: number) => Answer)[]) {
  const asked: number[] = []
  const open: OpenBlob = async (from) => {
    asked.push(from)
    const script = answers.shift()
    if (!script) throw new Error('no more answers')
    const a = script(from)
    const abort = new AbortController()
    const part = a.breakAfter !== undefined ? a.body.subarray(0, a.breakAfter) : a.body
    let off = 0
    // One chunk per pull, so that an error comes after the bytes before it were read.
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (off < part.length) {
          c.enqueue(new Uint8Array(part.subarray(off, off + 1000)))
          off += 1000
        } else if (a.breakAfter !== undefined) c.error(new Error('connection reset'))
        else c.close()
      },
    })
    return { res: new Response(stream, { status: a.status, headers: a.headers ?? {} }), abort, host: 'reg' }
  }
  return { open, asked }
}

const full = (): Answer => ({ status: 200, body: data })
const rest = (from: number): Answer => ({ status: 206, body: data.subarray(from), headers: { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } })
const opts = { idleMs: 5000, progress: quietProgress, what: 'layer 1', backoffMs: 1 }

function setup(t: Test) {
  const store = new BlobStore(new StoreLayout(t.testdir()))
  return { store, partial: store.partialPath(digest) }
}

t.test('a whole download; then it is already there', async (t) => {
  const { store, partial } = setup(t)
  const s = scripted([full])
  t.equal(await downloadBlob(desc, store, s.open, opts), 'downloaded')
  t.same(readFileSync(store.path(digest)), data)
  t.notOk(existsSync(partial))
  t.equal(await downloadBlob(desc, store, scripted([]).open, opts), 'exists')
})

t.test('a break mid-body resumes with a range; the partial bytes are hashed again', async (t) => {
  const { store } = setup(t)
  const s = scripted([() => ({ ...full(), breakAfter: 4000 }), rest])
  t.equal(await downloadBlob(desc, store, s.open, opts), 'downloaded')
  t.same(s.asked, [0, 4000])
  t.same(readFileSync(store.path(digest)), data)
})

t.test('a partial file from a killed pull is resumed; 200 instead of 206 starts over', async (t) => {
  const { store, partial } = setup(t)
  writeFileSync(partial, data.subarray(0, 2500))
  const s = scripted([rest])
  await downloadBlob(desc, store, s.open, opts)
  t.same(s.asked, [2500])
  t.same(readFileSync(store.path(digest)), data)

  const { store: store2, partial: partial2 } = setup(t)
  mkdirSync(store2.layout.tmpDir, { recursive: true })
  writeFileSync(partial2, Buffer.from('garbage that is not the start'))
  const s2 = scripted([full])
  await downloadBlob(desc, store2, s2.open, opts)
  t.same(readFileSync(store2.path(digest)), data)
})

t.test('a 206 for another range than asked: start over', async (t) => {
  const { store, partial } = setup(t)
  writeFileSync(partial, data.subarray(0, 3000))
  const s = scripted([() => rest(1000), full])
  await downloadBlob(desc, store, s.open, opts)
  t.same(s.asked, [3000, 0])
  t.same(readFileSync(store.path(digest)), data)
})

t.test('more bytes than the descriptor says: refused, nothing kept', async (t) => {
  const { store, partial } = setup(t)
  const big = Buffer.concat([data, Buffer.from('x')])
  await t.rejects(downloadBlob(desc, store, scripted([() => ({ status: 200, body: big })]).open, opts), {
    message: `layer 1: reg sent more than the ${data.length} bytes its descriptor says`,
  })
  t.notOk(existsSync(partial))
  await t.rejects(downloadBlob(desc, store, scripted([() => ({ status: 200, body: data, headers: { 'content-length': String(data.length + 5) } })]).open, opts), {
    message: `layer 1: reg sends ${data.length + 5} bytes for a blob of ${data.length}`,
  })
  t.notOk(store.has(digest))
})

t.test('a wrong digest: DigestMismatch, no blob and no partial file', async (t) => {
  const { store, partial } = setup(t)
  const bad = Buffer.from(data)
  bad[10] ^= 1
  await t.rejects(downloadBlob(desc, store, scripted([() => ({ status: 200, body: bad })]).open, opts), { name: 'DigestMismatch', message: new RegExp(`^layer 1: digest mismatch: expected ${digest}, got sha256:`) })
  t.notOk(store.has(digest))
  t.notOk(existsSync(partial))
})

t.test('a complete partial file that is wrong is dropped and downloaded again', async (t) => {
  const { store, partial } = setup(t)
  const bad = Buffer.from(data)
  bad[0] ^= 1
  writeFileSync(partial, bad)
  const s = scripted([full])
  await downloadBlob(desc, store, s.open, opts)
  t.same(s.asked, [0])
  t.same(readFileSync(store.path(digest)), data)
})

t.test('a partial file that a power cut spoiled: the resume does not match, so one more try from the start', async (t) => {
  const { store, partial } = setup(t)
  const spoiled = Buffer.from(data.subarray(0, 5000))
  spoiled.fill(0, 4096)
  writeFileSync(partial, spoiled)
  const s = scripted([rest, full])
  t.equal(await downloadBlob(desc, store, s.open, opts), 'downloaded')
  t.same(s.asked, [5000, 0])
  t.same(readFileSync(store.path(digest)), data)
})

t.test('416 for the rest of a partial file: start over', async (t) => {
  const { store, partial } = setup(t)
  writeFileSync(partial, data.subarray(0, 100))
  const s = scripted([() => ({ status: 416, body: Buffer.alloc(0) }), full])
  t.equal(await downloadBlob(desc, store, s.open, opts), 'downloaded')
  t.same(s.asked, [100, 0])
})

t.test('bounded retries: the error says the bytes so far are kept', async (t) => {
  const { store, partial } = setup(t)
  const s = scripted([() => ({ ...full(), breakAfter: 1000 }), (from) => ({ ...rest(from), breakAfter: 1000 })])
  await t.rejects(downloadBlob(desc, store, s.open, { ...opts, maxAttempts: 2 }), {
    message: /^layer 1: the download failed 2 times; the last error: reg: the connection broke: connection reset \(the 2000 bytes so far are kept; pull again to resume\)$/,
  })
  t.same(s.asked, [0, 1000])
  t.equal(readFileSync(partial).length, 2000)
  // A network error before any byte is retried the same way.
  let n = 0
  const failing: OpenBlob = async (from) => {
    if (n++ === 0) throw new NetworkError('cannot reach reg (ECONNREFUSED)')
    return scripted([rest]).open(from)
  }
  t.equal(await downloadBlob(desc, store, failing, opts), 'downloaded')
})

t.test('Content-Range', async (t) => {
  t.equal(contentRangeStart('bytes 100-199/200'), 100)
  t.equal(contentRangeStart('bytes 0-0/*'), 0)
  t.equal(contentRangeStart('bytes */200'), -1)
  t.equal(contentRangeStart(null), -1)
})
