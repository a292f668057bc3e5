import type { Knex } from '../platform/db.js';
import { KeyShreddedError } from '../keys/errors.js';
import type { FoundDataKeys, KeyPurpose, KeySlot } from '../keys/types.js';
import { entryRef, type TimesheetDeps } from './context.js';
import type { Entry, EntryDetails } from './entry-rules.js';
import { entriesTouching, walled, type EntryKeyPurpose, type EntryRow, type Wall } from './repository.js';

/**
 * Which key seals what of an entry (issue 12): the details under the owner's `draft`
 * key of the year while no day the entry touches was ever submitted, under the
 * `record` key from then on (the fiscal duty keeps those); the note under the owner's
 * `note` key, so notes can be erased on request and drafts expire on their own period
 * while the record of the same person and year stays readable.
 */

/** The AES-GCM binding of an entry's note. */
export const noteRef = (id: string) => ({ table: 'time_entries', column: 'note', rowId: id });

/** An entry's details and note, sealed. */
export interface SealedEntry {
  details: string;
  note: string | null;
  key_purpose: EntryKeyPurpose;
}

/** Seals an entry: details under the `purpose` key of its first date's year, the note (if any) under the note key; keys looked up in one query, or read ahead (`found`). */
export async function sealEntry(
  deps: TimesheetDeps, db: Knex | Knex.Transaction, ownerId: string, id: string, d: EntryDetails, firstDate: string, purpose: EntryKeyPurpose, found?: FoundDataKeys,
): Promise<SealedEntry> {
  const year = Number(firstDate.slice(0, 4));
  const { note, ...rest } = d;
  const items = [{ subject: ownerId, ref: entryRef(id), plaintext: JSON.stringify(rest), year, purpose }];
  if (note) items.push({ subject: ownerId, ref: noteRef(id), plaintext: note, year, purpose: 'note' as EntryKeyPurpose });
  const [details, sealedNote] = await deps.keys.encryptMany(db, items, found);
  return { details: details!, note: sealedNote ?? null, key_purpose: purpose };
}

/** The wall's first-statement column holding the keys a new entry is sealed under (`entryKeysLookup`). */
const ENTRY_KEYS = 'entry_keys';
/** The widest offsets from UTC a time zone has (UTC−12 … UTC+14), in ms. */
const ZONE_SPAN_MS = 14 * 3600_000;

/**
 * The keys a new entry is sealed under as a draft: its owner's `draft` key (and `note`
 * key when it has a note) of every year its first date may fall in, whatever the
 * owner's time zone (read in the same statement, so not known yet): nearly always one.
 */
function entryKeySlots(ownerId: string, d: EntryDetails): KeySlot[] {
  const years = d.date ? [Number(d.date.slice(0, 4))] : [-1, 1].map((sign) => new Date(new Date(d.start!).getTime() + sign * ZONE_SPAN_MS).getUTCFullYear());
  const purposes: KeyPurpose[] = d.note ? ['draft', 'note'] : ['draft'];
  return [...new Set(years)].flatMap((year) => purposes.map((purpose) => ({ subject: ownerId, purpose, year })));
}

/** Columns for a wall's first statement that read the keys a new entry will be sealed under, so sealing it costs no statement. */
export function entryKeysLookup(deps: TimesheetDeps, ownerId: string, d: EntryDetails): { sql: string; bindings: Array<string | number> } {
  return deps.keys.dataKeysColumn(ENTRY_KEYS, entryKeySlots(ownerId, d));
}

/** What `entryKeysLookup` read in this wall's first statement (undefined when it was not asked). */
export function foundEntryKeys(w: Wall, ownerId: string, d: EntryDetails): FoundDataKeys | undefined {
  return ENTRY_KEYS in w.first ? { slots: entryKeySlots(ownerId, d), value: w.first[ENTRY_KEYS] } : undefined;
}

/**
 * Opens entry rows and any other envelopes of the same owners (comments) in one batch.
 * Details whose key was shredded make the read fail with KeyShreddedError (410, "this
 * day was shredded"); an erased note reads as empty with `note_erased`.
 */
export async function openEntries(
  deps: TimesheetDeps, db: Knex | Knex.Transaction, rows: readonly EntryRow[], extra: ReadonlyArray<{ subject: string; ref: { table: string; column: string; rowId: string }; envelope: string }> = [],
): Promise<{ entries: Entry[]; extra: string[] }> {
  const notes = rows.flatMap((r) => (r.note ? [{ subject: r.owner_id, ref: noteRef(r.id), envelope: r.note }] : []));
  const plain = await deps.keys.decryptEach(db, [...rows.map((r) => ({ subject: r.owner_id, ref: entryRef(r.id), envelope: r.details })), ...extra, ...notes]);
  const shredded = () => new KeyShreddedError('The data keys of this time data were shredded (its retention ended, or it was erased)');
  const noteOf = new Map(notes.map((n, i) => [n.ref.rowId, plain[rows.length + extra.length + i]]));
  const entries = rows.map((r, i): Entry => {
    const p = plain[i];
    if (p === null || p === undefined) throw shredded();
    const d = JSON.parse(p) as Omit<EntryDetails, 'note'> & { note?: string };
    if (!r.note) return { id: r.id, ...d, note: d.note ?? '' };
    const note = noteOf.get(r.id);
    return note === null || note === undefined ? { id: r.id, ...d, note: '', note_erased: true } : { id: r.id, ...d, note };
  });
  const opened = extra.map((_, i) => {
    const p = plain[rows.length + i];
    if (p === null || p === undefined) throw shredded();
    return p;
  });
  return { entries, extra: opened };
}

/**
 * At submit: the day's entries still under draft keys move to the owner's record keys
 * (decrypted and sealed again inside the submit transaction, one UPDATE for all), so
 * that drafts expiring later never take a submitted day with them. Notes stay under
 * their note key. Returns how many entries moved.
 */
export async function sealDayForRecord(deps: TimesheetDeps, w: Wall, ownerId: string, date: string): Promise<number> {
  const rows = (await entriesTouching(w, ownerId, date, date)).filter((r) => r.key_purpose === 'draft');
  if (!rows.length) return 0;
  const trx = w.shared();
  const plain = await deps.keys.decryptMany(trx, rows.map((r) => ({ subject: ownerId, ref: entryRef(r.id), envelope: r.details })));
  const sealed = await deps.keys.encryptMany(trx, rows.map((r, i) => ({ subject: ownerId, ref: entryRef(r.id), plaintext: plain[i]!, year: Number(r.first_date.slice(0, 4)), purpose: 'record' as const })));
  await walled(w, (t) =>
    t.raw(
      `UPDATE time_entries e SET details = v.details, key_purpose = 'record', updated_at = now()
         FROM unnest(?::uuid[], ?::text[]) AS v(id, details) WHERE e.id = v.id AND e.owner_id = ?::uuid`,
      [rows.map((r) => r.id), sealed, ownerId],
    ),
  );
  return rows.length;
}
