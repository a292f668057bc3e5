import type { KeyService } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { COVERED } from './coverage.js';
import { accountOf, credentialsOf, exportsOf, mailCount, mailsOf, profileOf, resetsOf, rolesOf, sessionsOf, settingsOf, teamsOf, tokensOf } from './profile.js';
import type { ExportDocument, Summary } from './schema.js';
import { auditCounts, auditEventsOf, timeCounts, timeOfYear, timerOfPerson, yearsWithTime } from './time-data.js';

/**
 * Gathers everything held about one person: the summary for the page and API, and the
 * full export document for the download job (with progress, a year of time data at a
 * time, audit events in pages).
 */

/**
 * Where another domain plugs its own data about a person into "My data" (the
 * data-subject request register is the first): the columns it reads (for the coverage
 * test) and the rows of one person. The composition root wires it into mydataModule.
 */
export interface MyDataRequestsSource {
  /** `schema.table.column` of each column holding the person's id that `list` covers. */
  columns: readonly string[];
  list(db: Knex, accountId: string): Promise<Array<Record<string, unknown>>>;
}

/**
 * Where raw captured activity plugs into "My data" (capture sits above this module,
 * so the composition root hands it in): the columns it covers and the files, by name
 * under `capture/` in the zip, of one person.
 */
export interface MyDataCaptureSource {
  columns: readonly string[];
  files(db: Knex, accountId: string): Promise<Record<string, unknown>>;
}

/** What collecting needs. */
export interface CollectDeps {
  db: Knex;
  keys: KeyService;
  /** The request register, where the installation has one (else `requests` is null). */
  requests?: MyDataRequestsSource;
  /** Raw capture, where the installation has it (else `capture` is null). */
  capture?: MyDataCaptureSource;
}

/** The note on mail bodies, as the page and the export say it. */
export const MAIL_BODIES_NOTE = 'Mail bodies are sealed while waiting in the outbox and emptied as soon as a mail is delivered or fails for good; only recipient, subject, times and status are kept, and those are shown here.';

/** Every covered column with its section: the export's own and the wired extensions'. */
export function coveredColumns(deps: Pick<CollectDeps, 'requests' | 'capture'>): Record<string, string> {
  return { ...COVERED, ...Object.fromEntries((deps.requests?.columns ?? []).map((c) => [c, 'requests'])), ...Object.fromEntries((deps.capture?.columns ?? []).map((c) => [c, 'capture'])) };
}

/** The person's correction requests on locked days, text decrypted (null once its key is shredded). */
async function correctionsOf(db: Knex, keys: KeyService, accountId: string): Promise<ExportDocument['corrections']> {
  const rows = (await db('timesheet_corrections').where({ owner_id: accountId }).orderBy('created_at')) as Array<{ id: string; day_id: string; entry_id: string | null; text: string; status: string; created_at: Date; resolved_at: Date | null }>;
  const texts = await keys.decryptEach(db, rows.map((r) => ({ subject: accountId, ref: { table: 'timesheet_corrections', column: 'text', rowId: r.id }, envelope: r.text })));
  return rows.map((r, i) => ({ id: r.id, day_id: r.day_id, entry_id: r.entry_id, text: texts[i] ?? null, status: r.status, created_at: r.created_at.toISOString(), resolved_at: r.resolved_at?.toISOString() ?? null }));
}

/** Reports a step and how far the whole is (0–100). */
export type Progress = (step: string, percent: number) => Promise<void>;

/** The page and API summary (one screen: counts, the newest rows). */
export async function summaryOf(deps: CollectDeps, accountId: string): Promise<Summary> {
  const account = await accountOf(deps.db, accountId);
  if (!account) throw new NotFoundError();
  const [roles, teams, time, audit, sessions, tokens, mails, mailsTotal, exports, requests] = await Promise.all([
    rolesOf(deps.db, accountId), teamsOf(deps.db, accountId), timeCounts(deps.db, accountId), auditCounts(deps.db, accountId),
    sessionsOf(deps.db, accountId, 20), tokensOf(deps.db, accountId), mailsOf(deps.db, account.email, 50), mailCount(deps.db, account.email),
    exportsOf(deps.db, accountId, 10), deps.requests ? deps.requests.list(deps.db, accountId) : Promise.resolve(null),
  ]);
  const sessionTotal = Number(((await deps.db('sessions').where({ account_id: accountId }).count({ n: '*' }).first()) as { n: string }).n);
  return {
    account_id: accountId, profile: profileOf(account), roles, teams,
    counts: { days: time.days, entries: time.entries, audit_about_me: audit.about, audit_by_me: audit.by, sessions: sessionTotal, api_tokens: tokens.length, mails: mailsTotal },
    sessions, api_tokens: tokens, mails, mail_bodies_note: MAIL_BODIES_NOTE, requests, exports, sources: coveredColumns(deps),
  };
}

/** Audit events per read while exporting. */
const AUDIT_PAGE = 2000;

/** The full export document of one person, reporting progress as it goes. */
export async function exportDocumentOf(deps: CollectDeps, accountId: string, progress: Progress, files: Record<string, unknown> = {}): Promise<ExportDocument> {
  const { db, keys } = deps;
  const account = await accountOf(db, accountId);
  if (!account) throw new NotFoundError();
  await progress('profile', 5);
  const [roles, teams, settings, credentials, sessions, api_tokens, mails, password_resets, exports] = await Promise.all([
    rolesOf(db, accountId), teamsOf(db, accountId), settingsOf(db, accountId), credentialsOf(db, accountId), sessionsOf(db, accountId),
    tokensOf(db, accountId), mailsOf(db, account.email), resetsOf(db, accountId), exportsOf(db, accountId, 1000),
  ]);

  // Time data: a year at a time (10 % → 60 %); an entry across New Year comes with both years.
  const years = await yearsWithTime(db, accountId);
  const days: ExportDocument['days'] = [];
  const entries = new Map<string, ExportDocument['entries'][number]>();
  for (const [i, year] of years.entries()) {
    await progress(`days ${year}`, 10 + Math.floor((50 * i) / Math.max(years.length, 1)));
    const part = await timeOfYear(db, keys, accountId, year);
    days.push(...part.days);
    for (const e of part.entries) entries.set(e.id, e);
  }
  const running_timer = await timerOfPerson(db, keys, accountId);

  // Audit events: in pages by seq (60 % → 90 %, by the share of events read).
  const counts = await auditCounts(db, accountId);
  const expected = Math.max(counts.about + counts.by, 1);
  const audit_events: ExportDocument['audit_events'] = [];
  for (let after = 0; ;) {
    await progress('audit events', 60 + Math.min(30, Math.floor((30 * audit_events.length) / expected)));
    const page = await auditEventsOf(db, keys, accountId, after, AUDIT_PAGE);
    audit_events.push(...page);
    if (page.length < AUDIT_PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  const requests = deps.requests ? await deps.requests.list(db, accountId) : null;
  const corrections = await correctionsOf(db, keys, accountId);
  await progress('capture', 88);
  // Raw activity goes beside export.json as capture/*.json (filled into `files` for the zip).
  const captured = deps.capture ? await deps.capture.files(db, accountId) : null;
  for (const [name, content] of Object.entries(captured ?? {})) files[`capture/${name}`] = content;
  await progress('packing', 90);

  const notes = [MAIL_BODIES_NOTE, 'Mails are found by your current mail address; mails to an earlier address are not matched.',
    'Secrets are never exported: password and token hashes, second-factor secrets and recovery codes stay out; the times they were set up and used are in "credentials".',
    'Audit events by you about another person carry only their clear details; personal details are decrypted only on events about you.'];
  if (!deps.requests) notes.push('This installation has no request register; "requests" is null.');
  if (captured) notes.push('Raw captured activity (ActivityWatch) is in capture/*.json beside this file, in the aw-server export format; it is kept only for the raw-capture retention period.');
  if ([...entries.values()].some((e) => e.unreadable) || audit_events.some((e) => e.unreadable)) notes.push('Some values are marked unreadable: their data key was destroyed (crypto-shredded) at the end of their retention period or on erasure.');
  return {
    format: 'uurwerk.my-data.v1', generated_at: new Date().toISOString(), account_id: accountId, notes, sources: coveredColumns(deps),
    profile: profileOf(account), settings, credentials, roles, teams, days: days.sort((a, b) => a.date.localeCompare(b.date)),
    entries: [...entries.values()].sort((a, b) => a.first_date.localeCompare(b.first_date) || a.created_at.localeCompare(b.created_at)),
    running_timer, audit_events, sessions, api_tokens, mails, password_resets, exports, requests, corrections,
    capture: captured ? { files: Object.keys(captured).map((n) => `capture/${n}`), note: 'aw-server export format' } : null,
  };
}
