import test from 'ava';
import { canonicalJson, eventHash, eventHashReference, GENESIS_HASH, type AuditEventRow } from '../../src/audit/canonical.js';

const base = {
  seq: 7 as number, id: '2f0f7a0e-5d3c-4f7e-9a51-0c4f5f0a1b2c', at: '2026-12-02T12:00:00.123Z', actor_id: 'acct-1', subject_id: null,
  action: 'timesheet.entry.created', object_type: null, object_id: null, payload: {}, personal: null, prev_hash: GENESIS_HASH,
};

test('the hand-written event serialisation hashes exactly as the generic canonical JSON does', (t) => {
  const payloads: Array<AuditEventRow['payload']> = [{}, { b: 1, a: [true, null, -0.5, 'x'] }, { 'é': 1e21, z: { y: '\u2028"\\', x: [] }, A: -0 }, { n: 5e-324, big: 9007199254740991 }];
  for (const payload of payloads) {
    for (const extra of [{}, { subject_id: 'acct-2', object_type: 'day', object_id: '2026-12-01', personal: 'v1.sealed' }]) {
      const row: Omit<AuditEventRow, 'hash'> = { ...base, ...extra, payload };
      t.is(eventHash(row), eventHashReference(row), JSON.stringify(row));
    }
  }
});

test('canonicalJson sorts keys, keeps array order, refuses non-finite numbers', (t) => {
  t.is(canonicalJson({ b: [2, 1], a: { d: null, c: 'x' } }), '{"a":{"c":"x","d":null},"b":[2,1]}');
  t.throws(() => canonicalJson({ x: Number.NaN }), { instanceOf: TypeError });
});
