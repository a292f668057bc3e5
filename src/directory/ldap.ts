import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, Control, type Entry, InvalidCredentialsError, ResultCodeError, SizeLimitExceededError, TimeLimitExceededError } from 'ldapts';
import { readSecret, type DirectoryConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { attribute, entryId, firstString, isGuidAttribute, toDirectoryUser, userAttributes, type DirectoryUser } from './entry.js';
import { DirectorySyncError } from './errors.js';
import type { DirectoryGroup } from './groups.js';
import { slicer } from './slices.js';

/** Which server answered and where its change counter stood when we asked. */
export interface ServerState {
  url: string;
  /** DN of the server's NTDS Settings object (AD); null on other directories. */
  dsServiceName: string | null;
  /** invocationId of that object: changes when the database is restored. */
  invocationId: string | null;
  /** highestCommittedUSN from the rootDSE (a decimal string); null when the server has none. */
  highestUsn: string | null;
  /** defaultNamingContext: where groups and deleted objects are searched; null when the server names none. */
  namingContext: string | null;
}

/** What a user search returned. */
export interface UserSearchResult {
  users: DirectoryUser[];
  /** Entries that could not be accounts (no id, no username), with the reason. */
  skipped: Array<{ dn: string; reason: string }>;
  /** Search continuation references we did not follow (e.g. CN=Configuration under a domain root). */
  references: string[];
}

/** The reads the sync needs; the real one is ldapts, tests may point it at a scripted fake server. */
export interface DirectoryReader {
  readonly url: string;
  serverState(): Promise<ServerState>;
  /**
   * All users in the base DNs, or those changed since `sinceUsn` (exclusive) — and,
   * either way, every user under the containers in `under` (renamed or moved OUs).
   */
  users(opts: { sinceUsn?: string; now: Date; under?: string[] }): Promise<UserSearchResult>;
  /** Every group of the domain with its direct members, or those changed since `sinceUsn` (exclusive), and every group under `under`. */
  groups(opts: { sinceUsn?: string; namingContext: string | null; under?: string[] }): Promise<DirectoryGroup[]>;
  /**
   * DNs of the OUs and containers changed since `sinceUsn`. Renaming or moving an OU
   * changes the DN of everything below it without touching those objects' uSNChanged,
   * so an incremental run re-reads what lies under each.
   */
  containers(opts: { sinceUsn: string; namingContext: string | null }): Promise<string[]>;
  /**
   * Stable ids of users now outside every base DN that either changed since `sinceUsn`
   * (a user moved out) or lie under one of `containers` (an OU moved out of the base:
   * the DNs below it change without their objects' uSNChanged). The incremental search
   * under the base DNs cannot see them; without this only the nightly full run would.
   */
  outOfScope(opts: { sinceUsn: string; namingContext: string | null; containers: string[] }): Promise<string[]>;
  /**
   * objectGUIDs of users and groups deleted since `sinceUsn` (the Show Deleted control,
   * `isDeleted=TRUE`): an incremental search under the base DNs cannot see them, as AD
   * moves tombstones to CN=Deleted Objects.
   */
  deleted(opts: { sinceUsn: string; namingContext: string | null }): Promise<string[]>;
  close(): Promise<void>;
}

/** The AD Show Deleted control (LDAP_SERVER_SHOW_DELETED_OID): searches also return tombstones. */
export const SHOW_DELETED = '1.2.840.113556.1.4.417';

/** Matches AD's ranged attribute names, e.g. `member;range=0-1499` (the last range ends in `*`). */
const RANGED = /^member;range=(\d+)-(\d+|\*)$/i;

/** Whether `dn` is `base` or lies below it (DNs compared without case or spaces after commas). */
export function isUnder(dn: string, base: string): boolean {
  const norm = (x: string) => x.toLowerCase().replace(/,\s+/g, ',');
  const d = norm(dn);
  const b = norm(base);
  return d === b || d.endsWith(`,${b}`);
}

/**
 * The changed containers whose users are out of scope now: those neither under a base
 * DN nor holding one (a container above a base DN cannot have been moved out without
 * moving the base itself, which fails the search loudly).
 */
export function containersOutside(containers: string[], baseDns: string[]): string[] {
  return containers.filter((dn) => !baseDns.some((b) => isUnder(dn, b) || isUnder(b, dn)));
}

/** Escapes a value for use inside an LDAP filter (RFC 4515). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Turns ldapts and socket errors into coded sync errors (referrals and size limits are named). */
export function classifyLdapError(err: unknown, url: string, during: string): DirectorySyncError {
  if (err instanceof DirectorySyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const where = `${url}: ${during}`;
  if (err instanceof SizeLimitExceededError) return new DirectorySyncError('size_limit', `${where}: size limit exceeded (the result is incomplete)`, { cause: err });
  if (err instanceof TimeLimitExceededError) return new DirectorySyncError('timeout', `${where}: time limit exceeded`, { cause: err });
  if (err instanceof InvalidCredentialsError) return new DirectorySyncError('bind_failed', `${where}: invalid bind credentials`, { cause: err });
  if (err instanceof ResultCodeError) {
    // Result code 10 is a referral: we never chase them (the bind password would go to another host).
    if (err.code === 10) return new DirectorySyncError('referral', `${where}: the server answered with a referral, which is not followed`, { cause: err });
    return new DirectorySyncError('search_failed', `${where}: ${message} (result code ${err.code})`, { cause: err });
  }
  if (/timeout/i.test(message)) return new DirectorySyncError('timeout', `${where}: ${message}`, { cause: err });
  if (/Connection closed|ECONNRESET|EPIPE|socket hang up/i.test(message)) return new DirectorySyncError('connection_lost', `${where}: connection lost (${message})`, { cause: err });
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/i.test(message)) return new DirectorySyncError('unreachable', `${where}: ${message}`, { cause: err });
  if (/certificate|self[- ]signed|TLS|SSL|altnames/i.test(message)) return new DirectorySyncError('tls_failed', `${where}: ${message}`, { cause: err });
  return new DirectorySyncError('search_failed', `${where}: ${message}`, { cause: err });
}

/** TLS settings for a directory connection: the configured CA, TLS 1.2+, verified names. */
export function tlsOptions(config: DirectoryConfig, host: string): ConnectionOptions {
  return {
    ca: config.ca_file ? readFileSync(config.ca_file) : undefined,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    servername: /^[\d.]+$|:/.test(host) ? undefined : host,
  };
}

/**
 * A client for one server with TLS as configured: LDAPS from the first byte, or
 * StartTLS on ldap://. The caller binds and unbinds; on a failed StartTLS the client
 * is closed before the error is thrown.
 */
export async function openDirectoryClient(url: string, config: DirectoryConfig): Promise<Client> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const ms = config.timeout_seconds * 1000;
  // ldapts treats any tlsOptions as "TLS from the first byte", even on ldap://; so
  // they go to the constructor only for ldaps:// and to startTLS() otherwise.
  const secure = url.startsWith('ldaps://');
  const client = new Client({ url, timeout: ms, connectTimeout: ms, strictDN: false, ...(secure ? { tlsOptions: tlsOptions(config, host) } : {}) });
  try {
    if (!secure && config.starttls) await client.startTLS(tlsOptions(config, host));
    return client;
  } catch (err) {
    await client.unbind().catch(() => undefined);
    throw err;
  }
}

/** Opens, secures and binds one connection; throws a coded error. */
async function openOne(url: string, config: DirectoryConfig): Promise<Client> {
  let client: Client | undefined;
  try {
    client = await openDirectoryClient(url, config);
    if (config.bind_dn && config.bind_password_file) await client.bind(config.bind_dn, readSecret(config.bind_password_file));
    return client;
  } catch (err) {
    await client?.unbind().catch(() => undefined);
    const e = classifyLdapError(err, url, config.bind_dn ? 'connect and bind' : 'connect');
    throw e.code === 'search_failed' ? new DirectorySyncError('unreachable', e.message, { cause: err }) : e;
  }
}

/**
 * Connects to the first configured server that answers (in order), over LDAPS or
 * StartTLS with the configured CA (plain LDAP only when allowed by the config), and
 * binds with the service account. Referrals are never followed.
 */
export async function connectDirectory(config: DirectoryConfig, logger: Logger): Promise<DirectoryReader> {
  const log = logger.child({ module: 'directory' });
  if (config.urls.length === 0) throw new DirectorySyncError('unreachable', 'no directory configured (directory.urls is empty)');
  const failures: DirectorySyncError[] = [];
  for (const url of config.urls) {
    try {
      const client = await openOne(url, config);
      return createReader(client, url, config);
    } catch (err) {
      const e = err instanceof DirectorySyncError ? err : classifyLdapError(err, url, 'connect');
      log.warn({ url, code: e.code, err: e.message }, 'directory server not usable');
      failures.push(e);
    }
  }
  // Report the most telling failure: a bind or TLS problem is more useful than "refused".
  const best = failures.find((f) => f.code !== 'unreachable' && f.code !== 'timeout') ?? failures[0]!;
  throw new DirectorySyncError(best.code, failures.map((f) => f.message).join('; '));
}

function createReader(client: Client, url: string, config: DirectoryConfig): DirectoryReader {
  const pageSize = config.page_size;

  /**
   * A paged search; every page must complete, or the whole search fails. Each page is
   * handed to `onPage` as it arrives (mapped in slices there), so the entries are not
   * all mapped in one stretch of the event loop at the end.
   */
  async function pagedSearch(baseDn: string, filter: string, attributes: string[], during: string, onPage: (entries: Entry[]) => Promise<void>, controls: Control[] = []): Promise<{ references: string[] }> {
    const references: string[] = [];
    try {
      const pages = client.searchPaginated(baseDn, {
        scope: 'sub',
        filter,
        attributes,
        explicitBufferAttributes: attributes.filter(isGuidAttribute),
        paged: { pageSize },
        timeLimit: config.timeout_seconds,
      }, controls);
      for await (const page of pages) {
        references.push(...page.searchReferences);
        await onPage(page.searchEntries);
      }
    } catch (err) {
      throw classifyLdapError(err, url, during);
    }
    return { references };
  }

  /**
   * Every `member` value of a group entry. AD hands out at most MaxValRange values
   * (1,500) at a time as `member;range=0-1499`; the rest is asked for range by range.
   */
  async function allMembers(entry: Entry): Promise<string[]> {
    const values = (v: Entry[string] | undefined) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))));
    let ranged = Object.keys(entry).find((k) => RANGED.test(k));
    if (!ranged) return values(attribute(entry, 'member'));
    const members = values(entry[ranged]);
    while (ranged && RANGED.exec(ranged)![2] !== '*') {
      const next = Number(RANGED.exec(ranged)![2]) + 1;
      try {
        const r = await client.search(entry.dn, { scope: 'base', filter: '(objectClass=*)', attributes: [`member;range=${next}-*`] });
        const e = r.searchEntries[0];
        ranged = e ? Object.keys(e).find((k) => RANGED.test(k)) : undefined;
        if (e && ranged) members.push(...values(e[ranged]));
      } catch (err) {
        throw classifyLdapError(err, url, `reading the members of ${entry.dn}`);
      }
    }
    return members;
  }

  return {
    url,
    async serverState() {
      try {
        const root = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['dsServiceName', 'highestCommittedUSN', 'defaultNamingContext'] });
        const rootEntry = root.searchEntries[0];
        const dsServiceName = rootEntry ? firstString(rootEntry, 'dsServiceName') : null;
        const highestUsn = rootEntry ? firstString(rootEntry, 'highestCommittedUSN') : null;
        let invocationId: string | null = null;
        if (dsServiceName) {
          const ntds = await client.search(dsServiceName, { scope: 'base', filter: '(objectClass=*)', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'] });
          invocationId = ntds.searchEntries[0] ? entryId(ntds.searchEntries[0], 'invocationId') : null;
        }
        const namingContext = rootEntry ? firstString(rootEntry, 'defaultNamingContext') : null;
        return { url, dsServiceName, invocationId, highestUsn: highestUsn && /^\d+$/.test(highestUsn) ? highestUsn : null, namingContext };
      } catch (err) {
        throw classifyLdapError(err, url, 'reading the rootDSE');
      }
    },
    async users({ sinceUsn, now, under = [] }) {
      const filter = sinceUsn ? `(&${config.user_filter}(uSNChanged>=${BigInt(sinceUsn) + 1n}))` : config.user_filter;
      const byId = new Map<string, DirectoryUser>();
      const skipped: UserSearchResult['skipped'] = [];
      const references: string[] = [];
      // Containers re-read in full must lie inside a base DN (a user outside them is out of scope).
      const inScope = under.filter((dn) => config.base_dns.some((b) => isUnder(dn, b)));
      const searches: Array<[string, string]> = [...config.base_dns.map((b): [string, string] => [b, filter]), ...inScope.map((dn): [string, string] => [dn, config.user_filter])];
      const s = slicer();
      for (const [base, f] of searches) {
        const r = await pagedSearch(base, f, userAttributes(config), `searching users under ${base}`, async (entries) => {
          for (const entry of entries) {
            const u = toDirectoryUser(entry, config, now);
            if ('skipped' in u) skipped.push({ dn: entry.dn, reason: u.skipped });
            else byId.set(u.directoryId, u);
            await s.tick();
          }
        });
        references.push(...r.references);
      }
      return { users: [...byId.values()], skipped, references };
    },
    async groups({ sinceUsn, namingContext, under = [] }) {
      const filter = sinceUsn ? `(&(objectClass=group)(uSNChanged>=${BigInt(sinceUsn) + 1n}))` : '(objectClass=group)';
      const byGuid = new Map<string, DirectoryGroup>();
      const searches: Array<[string, string]> = [...(namingContext ? [namingContext] : config.base_dns).map((b): [string, string] => [b, filter]), ...under.map((dn): [string, string] => [dn, '(objectClass=group)'])];
      for (const [base, f] of searches) {
        await pagedSearch(base, f, ['objectGUID', 'member'], `searching groups under ${base}`, async (entries) => {
          for (const entry of entries) {
            const guid = entryId(entry, 'objectGUID');
            if (guid) byGuid.set(guid, { guid, dn: entry.dn, members: await allMembers(entry) });
          }
        });
      }
      return [...byGuid.values()];
    },
    async containers({ sinceUsn, namingContext }) {
      const filter = `(&(|(objectClass=organizationalUnit)(objectClass=container))(uSNChanged>=${BigInt(sinceUsn) + 1n}))`;
      const dns = new Map<string, string>();
      for (const base of namingContext ? [namingContext] : config.base_dns) {
        await pagedSearch(base, filter, ['objectGUID'], `searching changed containers under ${base}`, async (entries) => {
          for (const entry of entries) dns.set(entry.dn.toLowerCase(), entry.dn);
        });
      }
      // A container below another changed one is read with it.
      const all = [...dns.values()];
      return all.filter((dn) => !all.some((other) => other !== dn && isUnder(dn, other)));
    },
    async outOfScope({ sinceUsn, namingContext, containers }) {
      const ids = new Set<string>();
      const outside = (dn: string) => !config.base_dns.some((b) => isUnder(dn, b));
      const searches: Array<[string, string]> = [
        ...(namingContext ? [[namingContext, `(&(objectClass=user)(uSNChanged>=${BigInt(sinceUsn) + 1n}))`] as [string, string]] : []),
        ...containersOutside(containers, config.base_dns).map((dn): [string, string] => [dn, '(objectClass=user)']),
      ];
      for (const [base, filter] of searches) {
        await pagedSearch(base, filter, [config.id_attribute], `searching users moved out of the base DNs under ${base}`, async (entries) => {
          for (const entry of entries) {
            const id = outside(entry.dn) ? entryId(entry, config.id_attribute) : null;
            if (id) ids.add(id);
          }
        });
      }
      return [...ids];
    },
    async deleted({ sinceUsn, namingContext }) {
      const filter = `(&(isDeleted=TRUE)(uSNChanged>=${BigInt(sinceUsn) + 1n})(|(objectClass=user)(objectClass=group)))`;
      const ids = new Set<string>();
      for (const base of namingContext ? [namingContext] : config.base_dns) {
        await pagedSearch(base, filter, ['objectGUID'], `searching deleted objects under ${base}`, async (entries) => {
          for (const entry of entries) {
            const id = entryId(entry, 'objectGUID');
            if (id) ids.add(id);
          }
        }, [new Control(SHOW_DELETED, { critical: true })]);
      }
      return [...ids];
    },
    async close() {
      await client.unbind().catch(() => undefined);
    },
  };
}
