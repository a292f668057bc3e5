import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { cutoffFor } from '../retention/policy.js';
import { bucketRef, captureKeyOpts, settingsSubject, type CaptureDeps } from './context.js';
import { bucketRowId, insertEvents, listBuckets, readEvents } from './events.js';
import { awBucket, awEvent, awEventBody, bucketBody } from './schema.js';

/**
 * The aw-server export format both ways: the employee's raw activity as
 * ActivityWatch exports it (`{ buckets: { <id>: { ...bucket, events } } }`), and the
 * import of such a file, for people who already ran ActivityWatch locally.
 */

export const awExport = z.object({ buckets: z.record(z.string(), awBucket.extend({ events: z.array(awEvent) })) });

/** An export file as aw-server writes it (unknown fields ignored, as upstream). */
export const awImportBody = z.object({
  buckets: z.record(z.string().min(1).max(200), bucketBody.extend({ id: z.string().max(200).optional(), events: z.array(awEventBody).max(200_000).default([]) })),
});
export type AwImport = z.infer<typeof awImportBody>;

/** All of the caller's raw activity, in the aw-server export format. */
export async function exportCapture(deps: CaptureDeps, accountId: string): Promise<z.infer<typeof awExport>> {
  const out: z.infer<typeof awExport> = { buckets: {} };
  for (const b of await listBuckets(deps, accountId)) {
    const events = await readEvents(deps, accountId, b.id, { limit: 10_000_000 });
    out.buckets[b.id] = {
      id: b.id, name: null, type: b.type, client: b.client, hostname: b.hostname, created: b.created.toISOString(), last_updated: b.last_updated?.toISOString() ?? null, data: b.data,
      events: events.map((e) => ({ id: e.id ?? null, timestamp: new Date(e.start).toISOString(), duration: e.duration, data: e.data })),
    };
  }
  return out;
}

/**
 * Imports an export file into the caller's buckets (created when missing) in one
 * transaction. Events keep their times, get new ids, pass pause and exclusions like
 * any other, and those already past the raw-capture retention period are skipped
 * (they would be deleted at once). Audited with counts only.
 */
export async function importCapture(deps: CaptureDeps, accountId: string, file: AwImport): Promise<{ buckets: number; events: number; skipped: number }> {
  const oldest = cutoffFor(deps.config.retention, 'raw_capture', new Date()).getTime();
  return deps.db.transaction(async (trx) => {
    let events = 0;
    let skipped = 0;
    let created = 0;
    for (const [name, b] of Object.entries(file.buckets)) {
      const [row] = (await trx('capture_buckets').insert({ account_id: accountId, name, meta: '' }).onConflict(['account_id', 'name']).ignore().returning('id')) as Array<{ id: string }>;
      if (row) {
        const meta = await deps.keys.encrypt(trx, settingsSubject(accountId), bucketRef(row.id), JSON.stringify({ client: b.client, type: b.type, hostname: b.hostname, data: b.data ?? {} }), captureKeyOpts(new Date().getUTCFullYear()));
        await trx('capture_buckets').where({ id: row.id }).update({ meta });
        created++;
      }
      const fresh = b.events.filter((e) => Date.parse(e.timestamp) >= oldest);
      skipped += b.events.length - fresh.length;
      const stored = await insertEvents(deps, trx, accountId, row?.id ?? (await bucketRowId(trx, accountId, name)), fresh.map((e) => ({ start: Date.parse(e.timestamp), duration: e.duration, data: e.data })));
      skipped += fresh.length - stored;
      events += stored;
    }
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.captureImported, actorId: accountId, subjectId: accountId, object: { type: 'capture_import', id: accountId }, payload: { buckets_created: created, events, skipped } });
    return { buckets: created, events, skipped };
  });
}
