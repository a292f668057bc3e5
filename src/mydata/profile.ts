import type { AccountRow } from '../identity/repository.js';
import type { Knex } from '../platform/db.js';
import type { z } from 'zod';
import type { credentialsSection, exportRow, mailRow, profileField, resetRow, roleRow, sessionRow, teamRow, tokenRow } from './schema.js';

/**
 * The identity side of "My data": profile (with each field's source), roles and the
 * groups granting them, teams, sign-in factors (never a secret or hash), sessions,
 * tokens, reset requests, mails sent to the person and their own exports. Plain
 * reads of identity's and mail's tables; nothing here is encrypted.
 */

type Db = Knex | Knex.Transaction;
type ProfileField = z.infer<typeof profileField>;

/** An instant as ISO text (null stays null). */
export const iso = (v: Date | string | null | undefined): string | null => (v === null || v === undefined ? null : new Date(v).toISOString());
const isoNN = (v: Date | string): string => new Date(v).toISOString();

/** Account fields the directory supplies on a directory account (change them in the directory). */
const DIRECTORY_FIELDS: ReadonlySet<string> = new Set(['username', 'directory_id', 'dn', 'display_name', 'given_name', 'surname', 'email', 'department', 'employee_number', 'expires_at', 'last_seen_in_directory_at']);
/** The account's columns in the order shown. */
const PROFILE_COLUMNS = ['id', 'source', 'username', 'display_name', 'given_name', 'surname', 'email', 'department', 'employee_number', 'directory_id', 'dn', 'status', 'status_reason', 'expires_at', 'restricted_at', 'created_at', 'updated_at', 'status_changed_at', 'last_seen_in_directory_at'] as const;

/** The account row; undefined for an unknown id. */
export async function accountOf(db: Db, accountId: string): Promise<(AccountRow & { restricted_at?: Date | null }) | undefined> {
  return (await db('accounts').where({ id: accountId }).first()) as (AccountRow & { restricted_at?: Date | null }) | undefined;
}

/** The profile as field, value and source. */
export function profileOf(account: AccountRow & { restricted_at?: Date | null }): ProfileField[] {
  const rec = account as unknown as Record<string, unknown>;
  return PROFILE_COLUMNS.map((field) => {
    const v = rec[field];
    const value = v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);
    return { field, value, source: account.source === 'directory' && DIRECTORY_FIELDS.has(field) ? 'directory' : 'uurwerk' };
  });
}

/** Roles with the group or cause that grants each. */
export async function rolesOf(db: Db, accountId: string): Promise<Array<z.infer<typeof roleRow>>> {
  const rows = (await db('role_assignments').where({ account_id: accountId }).orderBy(['role', 'team', 'reason'])) as Array<{ role: string; team: string; reason: string; source: string; created_at: Date }>;
  return rows.map((r) => ({ role: r.role, team: r.team || null, reason: r.reason, source: r.source, since: isoNN(r.created_at) }));
}

/** Teams whose admins' scope holds the person. */
export async function teamsOf(db: Db, accountId: string): Promise<Array<z.infer<typeof teamRow>>> {
  return (await db('team_scope_members').where({ account_id: accountId }).orderBy('team').select('team', 'via')) as Array<z.infer<typeof teamRow>>;
}

/** The person's own time zone setting (null: the organisation's). */
export async function settingsOf(db: Db, accountId: string): Promise<{ time_zone: string | null }> {
  const row = (await db('timesheet_settings').where({ account_id: accountId }).first('time_zone')) as { time_zone: string | null } | undefined;
  return { time_zone: row?.time_zone ?? null };
}

/** Sign-in factors: when set up and used, never the secret or a hash. */
export async function credentialsOf(db: Db, accountId: string): Promise<z.infer<typeof credentialsSection>> {
  const pw = (await db('local_credentials').where({ account_id: accountId }).first('password_changed_at')) as { password_changed_at: Date } | undefined;
  const totp = (await db('totp_factors').where({ account_id: accountId }).first('created_at', 'confirmed_at')) as { created_at: Date; confirmed_at: Date | null } | undefined;
  const codes = (await db('recovery_codes').where({ account_id: accountId }).select('used_at')) as Array<{ used_at: Date | null }>;
  return {
    password_changed_at: iso(pw?.password_changed_at), totp_enrolled_at: iso(totp?.created_at), totp_confirmed_at: iso(totp?.confirmed_at),
    recovery_codes_left: codes.filter((c) => !c.used_at).length, recovery_codes_used: codes.flatMap((c) => (c.used_at ? [isoNN(c.used_at)] : [])),
  };
}

/** Sessions, newest first (without the token hash). */
export async function sessionsOf(db: Db, accountId: string, limit?: number): Promise<Array<z.infer<typeof sessionRow>>> {
  const q = db('sessions').where({ account_id: accountId }).orderBy('created_at', 'desc')
    .select('id', 'created_at', 'last_seen_at', 'idle_expires_at', 'absolute_expires_at', 'second_factor_at', 'remote_address', 'user_agent', 'revoked_at', 'revoke_reason');
  if (limit) void q.limit(limit);
  const rows = (await q) as Array<Record<string, Date | string | null>>;
  return rows.map((r) => ({
    id: String(r.id), created_at: isoNN(r.created_at as Date), last_seen_at: isoNN(r.last_seen_at as Date), idle_expires_at: isoNN(r.idle_expires_at as Date),
    absolute_expires_at: isoNN(r.absolute_expires_at as Date), second_factor_at: iso(r.second_factor_at), remote_address: (r.remote_address as string | null) ?? null,
    user_agent: (r.user_agent as string | null) ?? null, revoked_at: iso(r.revoked_at), revoke_reason: (r.revoke_reason as string | null) ?? null,
  }));
}

/** Personal API tokens (never the secret or its hash). */
export async function tokensOf(db: Db, accountId: string): Promise<Array<z.infer<typeof tokenRow>>> {
  const rows = (await db('api_tokens').where({ account_id: accountId }).orderBy('created_at', 'desc')
    .select('id', 'name', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'revoked_at', 'revoke_reason')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: String(r.id), name: String(r.name), scopes: r.scopes as string[], created_at: isoNN(r.created_at as Date), expires_at: isoNN(r.expires_at as Date),
    last_used_at: iso(r.last_used_at as Date | null), revoked_at: iso(r.revoked_at as Date | null), revoke_reason: (r.revoke_reason as string | null) ?? null,
  }));
}

/**
 * Mails addressed to the person's current mail address (outbox rows keep recipients,
 * subject, status and times; bodies rest sealed and are emptied once delivered).
 */
export async function mailsOf(db: Db, email: string | null, limit?: number): Promise<Array<z.infer<typeof mailRow>>> {
  if (!email) return [];
  const q = db('mail_outbox').whereRaw('? = ANY (recipients)', [email]).orderBy('created_at', 'desc').select('id', 'created_at', 'subject', 'status', 'sent_at', 'attempts');
  if (limit) void q.limit(limit);
  const rows = (await q) as Array<{ id: string; created_at: Date; subject: string; status: string; sent_at: Date | null; attempts: number }>;
  return rows.map((r) => ({ id: r.id, created_at: isoNN(r.created_at), subject: r.subject, status: r.status, sent_at: iso(r.sent_at), attempts: r.attempts }));
}

/** How many mails went to the address. */
export async function mailCount(db: Db, email: string | null): Promise<number> {
  if (!email) return 0;
  const row = (await db('mail_outbox').whereRaw('? = ANY (recipients)', [email]).count({ n: '*' }).first()) as { n: string | number };
  return Number(row.n);
}

/** Password resets asked for the account (never the token hash). */
export async function resetsOf(db: Db, accountId: string): Promise<Array<z.infer<typeof resetRow>>> {
  const rows = (await db('password_resets').where({ account_id: accountId }).orderBy('created_at', 'desc').select('created_at', 'expires_at', 'used_at')) as Array<{ created_at: Date; expires_at: Date; used_at: Date | null }>;
  return rows.map((r) => ({ created_at: isoNN(r.created_at), expires_at: isoNN(r.expires_at), used_at: iso(r.used_at) }));
}

/** The person's own "My data" exports, newest first. */
export async function exportsOf(db: Db, accountId: string, limit = 20): Promise<Array<z.infer<typeof exportRow>>> {
  const rows = (await db('mydata_exports').where({ account_id: accountId }).orderBy('created_at', 'desc').limit(limit)
    .select('id', 'status', 'created_at', 'finished_at', 'expires_at', 'fetched_at')) as Array<{ id: string; status: string; created_at: Date; finished_at: Date | null; expires_at: Date; fetched_at: Date | null }>;
  return rows.map((r) => ({ id: r.id, status: r.status, created_at: isoNN(r.created_at), finished_at: iso(r.finished_at), expires_at: isoNN(r.expires_at), fetched_at: iso(r.fetched_at) }));
}
