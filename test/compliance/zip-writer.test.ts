import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { writeSignedBundle } from '../../src/compliance/bundle.js';
import { ZipWriter } from '../../src/compliance/zip-writer.js';

/** About 1.6 MB of lines, half hex noise (hardly compressible), in chunks of every size from 1 byte to 600 KB. */
function sample(): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < 12_000; i++) chunks.push(Buffer.from(`{"seq":${i},"hash":"${randomBytes(32).toString('hex')}","note":"één — 🕰"}\n`));
  const all = Buffer.concat(chunks);
  return [all.subarray(0, 1), all.subarray(1, 70_000), all.subarray(70_000, 670_000), ...chunks.slice(0, 3), all.subarray(670_000)];
}

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

const workDir = (t: { teardown: (f: () => void) => void }): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-zip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

for (const zip64 of [false, true]) {
  test(`the zip writer's zips pass unzip -t and give back every byte (${zip64 ? 'ZIP64 records forced' : 'plain records'}): batches deflated apart, stored entries, empty entries, a UTF-8 name`, async (t) => {
    const dir = workDir(t);
    const file = path.join(dir, 'w.zip');
    const out = createWriteStream(file);
    const zip = new ZipWriter(out, zip64, 1 << 18);
    const big = sample();
    const bigBytes = Buffer.concat(big);
    const seen: Buffer[] = [];
    const r = await zip.add('audit/events.jsonl', from(big), 1, (b) => seen.push(b));
    await zip.add('empty.txt', from([]), 6);
    await zip.add('stored.bin', from([Buffer.from('raw bytes\n')]), 0);
    await zip.add('empty-stored', from([]), 0);
    await zip.add('tijdschrijven/één.txt', from([Buffer.from('hallo\n')]), 6);
    await zip.finish();
    await once(out, 'close');

    t.is(r.size, bigBytes.length);
    t.true(r.compressedSize < r.size, 'deflated');
    t.is(seen.length, 4, 'batches of 256 KiB or more, large chunks cut in even pieces (670 KB in 2, 530 KB in 2)');
    t.true(seen.slice(0, -1).every((b) => b.length >= 1 << 18 && b.length < 1 << 19));
    t.deepEqual(Buffer.concat(seen), bigBytes, 'the batches are the bytes in order');
    t.regex(execFileSync('unzip', ['-t', file], { encoding: 'utf8' }), /No errors detected/);
    t.deepEqual(execFileSync('unzip', ['-p', file, 'audit/events.jsonl'], { maxBuffer: 1 << 24 }), bigBytes);
    t.is(execFileSync('unzip', ['-p', file, 'stored.bin'], { encoding: 'utf8' }), 'raw bytes\n');
    t.is(execFileSync('unzip', ['-p', file, 'tijdschrijven/één.txt'], { encoding: 'utf8' }), 'hallo\n');
    const info = execFileSync('zipinfo', [file], { encoding: 'utf8' });
    t.regex(info, /-rw-r--r--.* stor .* stored\.bin/, 'mode 0644, stored');
    t.regex(info, /5 files/);
    const x = path.join(dir, 'x');
    execFileSync('unzip', ['-q', file, '-d', x]);
    t.is(createHash('sha256').update(readFileSync(path.join(x, 'audit/events.jsonl'))).digest('hex'), createHash('sha256').update(bigBytes).digest('hex'));
    t.is(readFileSync(path.join(x, 'empty.txt'), 'utf8'), '');
  });
}

test('a signed bundle whose source fails leaves no file behind; an existing file is never overwritten', async (t) => {
  const dir = workDir(t);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = { keyId: 'k', privateKey, publicKey };
  const file = path.join(dir, 'b.zip');
  const failing = async function* () {
    yield Buffer.alloc(600_000, 'a');
    throw new Error('source broke');
  };
  await t.throwsAsync(writeSignedBundle(file, [{ name: 'a.txt', source: 'a\n' }, { name: 'b.txt', source: failing, level: 1 }], signer), { message: 'source broke' });
  t.false(existsSync(file));
  writeFileSync(file, 'mine');
  await t.throwsAsync(writeSignedBundle(file, [{ name: 'a.txt', source: 'a\n' }], signer), { code: 'EEXIST' });
  t.is(readFileSync(file, 'utf8'), 'mine');
  rmSync(file);
  const r = await writeSignedBundle(file, [{ name: 'a.txt', source: 'a\n' }], signer);
  t.regex(execFileSync('unzip', ['-t', file], { encoding: 'utf8' }), /No errors detected/);
  t.is(r.files['a.txt'], createHash('sha256').update('a\n').digest('hex'));
});
