/**
 * A SCRIPTED FAKE directory (an ldapjs server on 127.0.0.1, random port) for the
 * failures a real Samba cannot be made to produce on demand: a successful search
 * with zero entries, a connection dropped in the middle of a paged search, a
 * referral to a dead host, and a size limit exceeded. It answers the rootDSE and the
 * NTDS Settings object like AD does, accepts any bind, and plays one script for
 * user searches. It is not a directory: use Samba (test/helpers/samba.ts) for
 * everything it can do.
 */
import { randomBytes } from 'node:crypto';
import ldap from 'ldapjs';

// The runtime exports it; @types/ldapjs does not declare it.
const { PagedResultsControl } = ldap as unknown as { PagedResultsControl: new (o: { value: { size: number; cookie: Buffer } }) => unknown };

/** What the fake does when asked for users. */
export type FakeScript =
  | { kind: 'users'; count: number }
  | { kind: 'empty' }
  | { kind: 'drop-mid-page'; count: number }
  | { kind: 'referral'; to: string }
  | { kind: 'size-limit'; count: number };

export const FAKE_BASE = 'DC=fake,DC=test';
export const FAKE_DS_SERVICE = `CN=NTDS Settings,CN=FAKE,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,${FAKE_BASE}`;

/** A running fake. */
export interface ScriptedFakeDirectory {
  url: string;
  /** Replace the script between syncs. */
  script: FakeScript;
  /** How many search requests for users arrived (paged requests count one each). */
  userSearches: number;
  /**
   * Groups the group search returns, handing out `member` at most `rangeSize` values
   * at a time as AD does (`member;range=0-1499`, then base searches for the next range).
   */
  groups: Array<{ dn: string; guid: number; members: string[] }>;
  rangeSize: number;
  stop(): Promise<void>;
}

interface PagedControl {
  type: string;
  value: { size: number; cookie: Buffer };
}

function guid(i: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0xfa4e0000 + i, 0);
  return b;
}

/** DN of the i-th scripted user (1-based). */
export function fakeUserDn(i: number): string {
  return `CN=Fake User ${String(i).padStart(4, '0')},OU=Staff,${FAKE_BASE}`;
}

function userEntry(i: number) {
  const n = String(i).padStart(4, '0');
  return {
    dn: fakeUserDn(i),
    attributes: { objectGUID: guid(i), sAMAccountName: `fake${n}`, displayName: `Fake User ${n}`, userAccountControl: '512' },
  };
}

/** Starts the scripted fake on a random loopback port. */
export async function scriptedFakeDirectory(initial: FakeScript): Promise<ScriptedFakeDirectory> {
  const server = ldap.createServer();
  const invocationId = randomBytes(16);
  const fake: ScriptedFakeDirectory = {
    url: '',
    script: initial,
    userSearches: 0,
    groups: [],
    rangeSize: 1500,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  server.bind('', (_req: unknown, res: { end(): void }, next: () => void) => {
    res.end();
    next();
  });

  type Res = {
    send(entry: unknown): void;
    end(status?: number): void;
    addReferral(uri: string): void;
    errorMessage: string;
    attributes: string[];
    controls: unknown[];
    connection: { destroy(): void; write(data: string, done: () => void): boolean };
  };
  type Req = { dn: { toString(): string }; scopeName: string; filter: { toString(): string }; controls: PagedControl[] };

  server.search('', (req: Req, res: Res, next: () => void) => {
    // ldapjs compares requested attribute names case-sensitively against lower-cased
    // ones and drops `objectGUID`; the fake sends whole entries instead.
    res.attributes = [];
    const base = req.dn.toString();
    if (base === '' && req.scopeName === 'base') {
      res.send({ dn: '', attributes: { dsServiceName: FAKE_DS_SERVICE, highestCommittedUSN: '1000', defaultNamingContext: FAKE_BASE } });
      res.end();
      return next();
    }
    if (base.toLowerCase() === FAKE_DS_SERVICE.toLowerCase()) {
      res.send({ dn: FAKE_DS_SERVICE, attributes: { invocationId } });
      res.end();
      return next();
    }
    /** `member` values from `from`, as one range of at most rangeSize values. */
    const ranged = (members: string[], from: number) => {
      const to = Math.min(members.length, from + fake.rangeSize) - 1;
      if (from === 0 && members.length <= fake.rangeSize) return { member: members };
      return { [`member;range=${from}-${to === members.length - 1 ? '*' : to}`]: members.slice(from, to + 1) };
    };
    if (req.scopeName === 'base') {
      const group = fake.groups.find((g) => g.dn.toLowerCase() === base.toLowerCase());
      const wanted = /member;range=(\d+)-\*/i.exec((req as unknown as { attributes: string[] }).attributes.join(' '));
      res.send({ dn: base, attributes: { objectClass: 'group', ...(group && wanted ? ranged(group.members, Number(wanted[1])) : {}) } });
      res.end();
      return next();
    }
    if (/isDeleted/i.test(req.filter.toString())) {
      res.end();
      return next();
    }
    if (/objectClass=group\)/i.test(req.filter.toString())) {
      for (const g of fake.groups) res.send({ dn: g.dn, attributes: { objectGUID: guid(100_000 + g.guid), ...ranged(g.members, 0) } });
      res.end();
      return next();
    }
    fake.userSearches++;
    const paged = req.controls.find((c) => c.type === '1.2.840.113556.1.4.319');
    const size = paged?.value.size || 100;
    const offset = paged && paged.value.cookie.length > 0 ? Number(paged.value.cookie.toString()) : 0;
    const s = fake.script;
    const pageOf = (count: number) => {
      const end = Math.min(count, offset + size);
      for (let i = offset; i < end; i++) res.send(userEntry(i + 1));
      return end;
    };
    const pagedResponse = (cookie: string) => {
      const ctrl = new PagedResultsControl({ value: { size: 0, cookie: Buffer.from(cookie) } });
      res.controls = [ctrl];
    };
    switch (s.kind) {
      case 'empty':
        pagedResponse('');
        res.end();
        break;
      case 'users': {
        const end = pageOf(s.count);
        pagedResponse(end < s.count ? String(end) : '');
        res.end();
        break;
      }
      case 'drop-mid-page': {
        if (offset === 0) {
          const end = pageOf(s.count);
          pagedResponse(String(end));
          res.end();
        } else {
          // Half of the second page, then the connection is gone: no SearchResultDone.
          for (let i = offset; i < offset + Math.floor(size / 2); i++) res.send(userEntry(i + 1));
          // Drop the connection once those entries have left (an empty write's callback
          // runs after every earlier write is flushed), rather than after a guessed pause.
          res.connection.write('', () => res.connection.destroy());
        }
        break;
      }
      case 'referral':
        res.addReferral(s.to);
        res.errorMessage = 'referral';
        res.end(10);
        break;
      case 'size-limit': {
        for (let i = 0; i < s.count; i++) res.send(userEntry(i + 1));
        res.errorMessage = 'size limit exceeded';
        res.end(4);
        break;
      }
    }
    return next();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `ldap://127.0.0.1:${new URL(server.url).port}`;
  return fake;
}
