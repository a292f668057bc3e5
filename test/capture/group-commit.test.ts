import test from 'ava';
import { GroupCommit } from '../../src/capture/group-commit.js';

test('group commit: items wait for their batch, batches follow the load, and one bad item fails alone', async (t) => {
  const batches: number[][] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, 5));
    if (items.includes(13)) throw new Error('unlucky');
    return items.map((i) => ({ ok: true as const, value: i * 2 }));
  }, 10);
  const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => gc.submit(i)));
  t.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed')), Array.from({ length: 25 }, (_, i) => (i === 13 ? 'failed' : i * 2)));
  t.deepEqual(batches[0], [0], 'the first item goes at once');
  t.deepEqual(batches[1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'what queued meanwhile goes together, up to the batch limit');
  t.true(batches.some((b) => b.length === 1 && b[0] === 13), 'the failed batch was retried item by item');
  t.deepEqual(batches.flat().filter((i) => i !== 13).length, 25 - 1 + 9, 'the other items of the failed batch were retried once each');
});
