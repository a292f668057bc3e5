import type { Entry } from 'ldapts';
import type { DirectoryConfig } from '../platform/config.js';

/** A user as read from the directory, already mapped to account fields. */
export interface DirectoryUser {
  directoryId: string;
  dn: string;
  username: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  email: string | null;
  department: string | null;
  employeeNumber: string | null;
  /** Disabled (userAccountControl ACCOUNTDISABLE) or past accountExpires at `now`. */
  disabled: boolean;
  disabledReason: string | null;
  expiresAt: Date | null;
}

/** Attributes whose values are binary GUIDs (formatted as canonical GUID strings). */
const GUID_ATTRIBUTES = new Set(['objectguid', 'invocationid', 'ms-ds-consistencyguid']);

/** userAccountControl ACCOUNTDISABLE bit. */
const UF_ACCOUNTDISABLE = 0x2;

/** accountExpires values that mean "never" (0 and the int64 maximum). */
const NEVER = new Set(['0', '9223372036854775807']);

/** Milliseconds between 1601-01-01 (the Windows FILETIME epoch) and 1970-01-01. */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

/** True when `name` is a binary GUID attribute that has to be requested as a buffer. */
export function isGuidAttribute(name: string): boolean {
  return GUID_ATTRIBUTES.has(name.toLowerCase());
}

/**
 * Formats a 16-byte AD GUID the way Windows shows it: the first three groups are
 * little-endian, the last two are byte order (so it matches `Get-ADUser`).
 */
export function formatGuid(buf: Buffer): string {
  if (buf.length !== 16) throw new Error(`a GUID has 16 bytes, got ${buf.length}`);
  const h = (i: number) => buf[i]!.toString(16).padStart(2, '0');
  const part = (idx: number[]) => idx.map(h).join('');
  return `${part([3, 2, 1, 0])}-${part([5, 4])}-${part([7, 6])}-${part([8, 9])}-${part([10, 11, 12, 13, 14, 15])}`;
}

/** Converts accountExpires (100 ns ticks since 1601) to a Date; null means never. */
export function fileTimeToDate(value: string): Date | null {
  if (NEVER.has(value) || !/^\d+$/.test(value)) return null;
  const ms = BigInt(value) / 10_000n - FILETIME_EPOCH_OFFSET_MS;
  return new Date(Number(ms));
}

/** Case-insensitive attribute lookup: servers return names in schema case. */
export function attribute(entry: Entry, name: string): Entry[string] | undefined {
  // Most names come back in the case they were asked for: look that up before scanning.
  const exact = Object.hasOwn(entry, name) ? entry[name] : undefined;
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(entry)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The first value of an attribute as text (trimmed; empty becomes null). */
export function firstString(entry: Entry, name: string): string | null {
  const v = attribute(entry, name);
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return null;
  const s = (Buffer.isBuffer(first) ? first.toString('utf8') : String(first)).trim();
  return s === '' ? null : s;
}

/** The stable id of an entry: a GUID attribute formatted, anything else as text. */
export function entryId(entry: Entry, idAttribute: string): string | null {
  const v = attribute(entry, idAttribute);
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return null;
  if (isGuidAttribute(idAttribute)) return Buffer.isBuffer(first) && first.length === 16 ? formatGuid(first) : null;
  const s = (Buffer.isBuffer(first) ? first.toString('utf8') : String(first)).trim().toLowerCase();
  return s === '' ? null : s;
}

/** Attributes to request for users under this configuration. */
export function userAttributes(config: DirectoryConfig): string[] {
  const a = config.attributes;
  return [config.id_attribute, a.username, a.display_name, a.given_name, a.surname, a.email, a.department, a.employee_number, 'userAccountControl', 'accountExpires'];
}

/**
 * Maps one search entry to a DirectoryUser; returns null (and the reason) for an entry
 * that cannot be an account: no stable id or no username.
 */
export function toDirectoryUser(entry: Entry, config: DirectoryConfig, now: Date): DirectoryUser | { skipped: string } {
  const a = config.attributes;
  const directoryId = entryId(entry, config.id_attribute);
  if (!directoryId) return { skipped: `no usable ${config.id_attribute}` };
  const username = firstString(entry, a.username);
  if (!username) return { skipped: `no ${a.username}` };
  const uac = Number(firstString(entry, 'userAccountControl') ?? '0');
  const expiresRaw = firstString(entry, 'accountExpires');
  const expiresAt = expiresRaw ? fileTimeToDate(expiresRaw) : null;
  let disabledReason: string | null = null;
  if (Number.isFinite(uac) && (uac & UF_ACCOUNTDISABLE) !== 0) disabledReason = 'disabled in the directory';
  else if (expiresAt && expiresAt.getTime() <= now.getTime()) disabledReason = 'account expired in the directory';
  return {
    directoryId,
    dn: entry.dn,
    username,
    displayName: firstString(entry, a.display_name),
    givenName: firstString(entry, a.given_name),
    surname: firstString(entry, a.surname),
    email: firstString(entry, a.email),
    department: firstString(entry, a.department),
    employeeNumber: firstString(entry, a.employee_number),
    disabled: disabledReason !== null,
    disabledReason,
    expiresAt,
  };
}
