import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { privacyProblem } from './problems.js';
import { validate } from '../platform/http/api.js';
import { REGISTER_SUBJECT, type PrivacyDeps } from './context.js';
import { breachClocks } from './deadlines.js';
import { authorize } from './policy.js';
import { breachContent, type AmendBreachBody, type BreachContent, type BreachVersionView, type BreachView, type RecordBreachBody } from './schema.js';

/**
 * The breach register (GDPR art. 33(5)): what happened, whom and what it touched,
 * consequences and measures, the 24-hour internal notice and the 72-hour authority
 * deadline, and whether the people were informed (art. 34) and why or why not. An
 * entry is a history of full versions; an amendment appends one (the database
 * refuses UPDATE and DELETE), and each is audited. The text fields rest sealed under
 * the register's system subject, bound to the breach and version.
 */

/** A version row as stored. */
interface VersionRow extends Omit<BreachVersionView, 'detected_at' | 'aware_at' | 'internal_notice_at' | 'authority_at' | 'people_informed_at' | 'recorded_at'> {
  breach_id: string;
  number: string;
  detected_at: Date;
  aware_at: Date;
  internal_notice_at: Date | null;
  authority_at: Date | null;
  people_informed_at: Date | null;
  recorded_at: Date;
}

const INSTANTS = ['detected_at', 'aware_at', 'internal_notice_at', 'authority_at', 'people_informed_at', 'recorded_at'] as const;

/** The text fields, sealed at rest. */
const SEALED = ['what_happened', 'data_categories', 'consequences', 'measures', 'authority_reason', 'people_informed_reason', 'note'] as const;

/** The AES-GCM binding of a sealed field of one version. */
const versionRef = (breachId: string, version: number, column: string) => ({ table: 'privacy_breach_versions', column, rowId: `${breachId}/${version}` });

/** A version's text fields sealed for storage. */
async function seal(deps: PrivacyDeps, trx: Knex.Transaction, breachId: string, version: number, c: BreachContent): Promise<BreachContent> {
  const out: Record<string, unknown> = { ...c };
  for (const k of SEALED) if (c[k] !== null) out[k] = await deps.keys.encrypt(trx, REGISTER_SUBJECT, versionRef(breachId, version, k), c[k], { purpose: 'record' });
  return out as BreachContent;
}

/** Rows with their text fields opened. */
async function openRows(deps: PrivacyDeps, db: Knex | Knex.Transaction, rows: VersionRow[]): Promise<VersionRow[]> {
  const items = rows.flatMap((r) => SEALED.filter((k) => r[k] !== null).map((k) => ({ r, k, item: { subject: REGISTER_SUBJECT, ref: versionRef(r.breach_id, r.version, k), envelope: r[k] as string } })));
  const plain = await deps.keys.decryptMany(db, items.map((i) => i.item));
  const out = rows.map((r) => ({ ...r }));
  items.forEach((i, n) => ((out[rows.indexOf(i.r)] as unknown as Record<string, unknown>)[i.k] = plain[n]));
  return out;
}

function versionView(r: VersionRow): BreachVersionView {
  const out = { ...r } as unknown as Record<string, unknown>;
  for (const k of INSTANTS) out[k] = r[k] ? r[k].toISOString() : null;
  const { breach_id: _b, number: _n, recorded_by: _by, ...rest } = out;
  return rest as unknown as BreachVersionView;
}

/** The latest version of a breach with its clocks, at `now`. */
function present(r: VersionRow, now: Date, history?: VersionRow[]): BreachView {
  const clocks = breachClocks(r.aware_at);
  return {
    ...versionView(r),
    id: r.breach_id,
    number: Number(r.number),
    clocks: {
      internal_due: clocks.internalDue.toISOString(),
      authority_due: clocks.authorityDue.toISOString(),
      internal_overdue: r.internal_notice_at === null && r.status !== 'closed' && now >= clocks.internalDue,
      authority_overdue: r.authority === 'pending' && r.status !== 'closed' && now >= clocks.authorityDue,
    },
    ...(history ? { history: history.map(versionView) } : {}),
  };
}

/** The latest version of every breach (or of one). */
export function latestVersions(db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return db('privacy_breach_versions as v')
    .join('privacy_breaches as b', 'b.id', 'v.breach_id')
    .whereRaw('v.version = (SELECT max(version) FROM privacy_breach_versions w WHERE w.breach_id = v.breach_id)')
    .select('v.*', 'b.number');
}

/** Register order: open breaches whose authority deadline is closest (or passed) first, closed ones last. */
function breachOrder(a: BreachView, b: BreachView): number {
  if ((a.status === 'closed') !== (b.status === 'closed')) return a.status === 'closed' ? 1 : -1;
  const pending = (v: BreachView) => (v.authority === 'pending' ? 0 : 1);
  return pending(a) - pending(b) || a.clocks.authority_due.localeCompare(b.clocks.authority_due) || b.number - a.number;
}

/** Every breach, latest versions, in register order (privacy officer and auditor). */
export async function listBreaches(deps: PrivacyDeps, actor: Actor): Promise<BreachView[]> {
  authorize(actor, 'read_registers', undefined);
  const now = deps.clock.now();
  return (await openRows(deps, deps.db, (await latestVersions(deps.db)) as VersionRow[])).map((r) => present(r, now)).sort(breachOrder);
}

/** One breach with its whole history, oldest version first. */
export async function getBreach(deps: PrivacyDeps, actor: Actor, id: string, db: Knex | Knex.Transaction = deps.db): Promise<BreachView> {
  authorize(actor, 'read_registers', undefined);
  const rows = await openRows(deps, db, (await db('privacy_breach_versions as v').join('privacy_breaches as b', 'b.id', 'v.breach_id').where('v.breach_id', id).orderBy('v.version').select('v.*', 'b.number')) as VersionRow[]);
  if (!rows.length) throw new NotFoundError();
  return present(rows[rows.length - 1]!, deps.clock.now(), rows);
}

function checkTimes(deps: PrivacyDeps, c: BreachContent): void {
  const limit = deps.clock.now().getTime() + 60_000;
  const future = INSTANTS.filter((k) => k !== 'recorded_at' && c[k] !== null && Date.parse(c[k]!) > limit);
  if (future.length) throw new ValidationError(future.map((field) => privacyProblem(field, 'time.future')));
}

/** Records a new breach (first version). */
export async function recordBreach(deps: PrivacyDeps, actor: Actor, body: RecordBreachBody): Promise<BreachView> {
  authorize(actor, 'keep_registers', undefined);
  const content = validate(breachContent, { ...body, note: null });
  checkTimes(deps, content);
  const id = await deps.db.transaction((trx) => insertBreach(deps, trx, actor.accountId, content));
  return getBreach(deps, actor, id);
}

/**
 * Writes a new breach entry (first version) in the caller's transaction, audited,
 * and returns its id: the register's own form and the alarms (`system:alarms`) both
 * record through here.
 */
export async function insertBreach(deps: PrivacyDeps, trx: Knex.Transaction, by: string, content: BreachContent): Promise<string> {
  const [b] = (await trx('privacy_breaches').insert({ created_by: by }).returning(['id'])) as Array<{ id: string }>;
  await trx('privacy_breach_versions').insert({ ...(await seal(deps, trx, b!.id, 1, content)), breach_id: b!.id, version: 1, recorded_by: by, recorded_at: deps.clock.now() });
  await deps.audit.record(trx, { action: AUDIT_ACTIONS.privacyBreachRecorded, actorId: by, object: { type: 'privacy_breach', id: b!.id }, payload: { version: 1, status: content.status, authority: content.authority, people_informed: content.people_informed } });
  return b!.id;
}

/** Appends an amendment: the latest version with the given fields changed, and why. */
export async function amendBreach(deps: PrivacyDeps, actor: Actor, id: string, body: AmendBreachBody): Promise<BreachView> {
  authorize(actor, 'keep_registers', undefined);
  await deps.db.transaction(async (trx) => {
    await trx('privacy_breaches').where({ id }).forUpdate().first('id');
    const row = (await latestVersions(trx).where('v.breach_id', id).first()) as VersionRow | undefined;
    if (!row) throw new NotFoundError();
    const [latest] = await openRows(deps, trx, [row]);
    if (!latest) throw new NotFoundError();
    const base = versionView(latest);
    const { version: _v, recorded_at: _r, ...previous } = base;
    const before = previous as Record<string, unknown>;
    const changed = Object.entries(body).filter(([k, v]) => k !== 'note' && v !== undefined && JSON.stringify(v) !== JSON.stringify(before[k])).map(([k]) => k);
    const content = validate(breachContent, { ...previous, ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) });
    checkTimes(deps, content);
    const version = latest.version + 1;
    await trx('privacy_breach_versions').insert({ ...(await seal(deps, trx, id, version, content)), breach_id: id, version, recorded_by: actor.accountId, recorded_at: deps.clock.now() });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.privacyBreachAmended, actorId: actor.accountId, object: { type: 'privacy_breach', id }, payload: { version, fields: changed, status: content.status, authority: content.authority, people_informed: content.people_informed } });
  });
  return getBreach(deps, actor, id);
}
