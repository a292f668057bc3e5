/**
 * A real Samba AD domain controller on loopback for directory tests.
 *
 * Needs the Debian packages `samba` and `ldap-utils` (and `openssl`). Provisions a
 * domain CORP.EXAMPLE.TEST into a temporary directory under the run directory,
 * starts `samba` with only its LDAP service (127.0.0.1:389 and LDAPS :636, with a
 * test CA whose server certificate names 127.0.0.1), and loads the fixture
 * directory with one `ldapadd`. Only one Samba can bind :389 at a time: the Samba
 * test files take a machine-wide lock file and run one after the other, each file's
 * tests serially.
 *
 * The one fixed port in the main suite, on purpose: Samba's AD DC has no setting for
 * its LDAP ports (it always binds 389 and 636, as AD clients and tools expect of a
 * domain controller), so it cannot be given a free port from the OS. Everything
 * else in test/ asks the OS for one (test/helpers/net.ts, or listen on port 0).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { waitUntil } from './wait.js';

const run = promisify(execFile);

export const SAMBA_REALM = 'CORP.EXAMPLE.TEST';
export const BASE_DN = 'DC=corp,DC=example,DC=test';
export const STAFF_OU = `OU=Staff,${BASE_DN}`;
export const GROUPS_OU = `OU=Groups,${BASE_DN}`;
export const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
/** Password of the named fixture users (set over LDAPS, so later sign-in tests can bind as them). */
export const FIXTURE_USER_PASSWORD = 'Corr3ct-Horse-Battery!';
/** How many bulk users the fixture holds (more than one page of 1,000). */
export const BULK_USERS = 1100;

/** Group DNs of the fixture; see `fixtureLdif` for who is in which. */
export const GROUPS = {
  employees: `CN=Uurwerk Employees,${GROUPS_OU}`,
  allStaff: `CN=All Staff,${GROUPS_OU}`,
  financeAdmins: `CN=Uurwerk Finance Admins,${GROUPS_OU}`,
  teamLeads: `CN=Team Leads,${GROUPS_OU}`,
  financeLeads: `CN=Finance Leads,${GROUPS_OU}`,
  salesTeam: `CN=Sales Team,${GROUPS_OU}`,
  salesAdmins: `CN=Uurwerk Sales Admins,${GROUPS_OU}`,
  operators: `CN=Uurwerk Operators,${GROUPS_OU}`,
  auditors: `CN=Uurwerk Auditors,${GROUPS_OU}`,
} as const;

/** A named fixture user. */
export interface FixtureUser {
  sam: string;
  cn: string;
  ou: string;
  given?: string;
  sn?: string;
  mail?: string;
  disabled?: boolean;
  department?: string;
  employeeNumber?: string;
}

export const FINANCE_OU = `OU=Finance,${STAFF_OU}`;
export const SALES_OU = `OU=Sales,${STAFF_OU}`;

/** The named users; the bulk users are `bulk0001`… in OU=Staff. */
export const USERS = {
  alice: { sam: 'alice', cn: 'Alice Aalders', given: 'Alice', sn: 'Aalders', ou: FINANCE_OU, mail: 'alice@corp.example.test', department: 'Finance', employeeNumber: 'E001' },
  bob: { sam: 'bob', cn: 'Bob Bakker', given: 'Bob', sn: 'Bakker', ou: SALES_OU, mail: 'bob@corp.example.test', disabled: true },
  carol: { sam: 'carol', cn: 'Carol Claes', given: 'Carol', sn: 'Claes', ou: FINANCE_OU },
  zoe: { sam: 'zoe', cn: 'Zoë Ŝtrüßel-Ørsted', given: 'Zoë', sn: 'Ŝtrüßel-Ørsted', ou: FINANCE_OU, mail: 'zoe@corp.example.test', department: 'Financiën' },
  dave: { sam: 'dave', cn: 'Dave Dekker', given: 'Dave', sn: 'Dekker', ou: SALES_OU, mail: 'dave@corp.example.test' },
  erin: { sam: 'erin', cn: 'Erin Evers', given: 'Erin', sn: 'Evers', ou: SALES_OU, mail: 'erin@corp.example.test' },
  frank: { sam: 'frank', cn: 'Frank Faber', given: 'Frank', sn: 'Faber', ou: SALES_OU, mail: 'frank@corp.example.test' },
  oscar: { sam: 'oscar', cn: 'Oscar Operator', given: 'Oscar', sn: 'Operator', ou: STAFF_OU, mail: 'oscar@corp.example.test' },
  ingrid: { sam: 'ingrid', cn: 'Ingrid Inspector', given: 'Ingrid', sn: 'Inspector', ou: STAFF_OU, mail: 'ingrid@corp.example.test' },
} satisfies Record<string, FixtureUser>;

/** DN of a fixture user where the fixture put it. */
export function userDn(u: FixtureUser): string {
  return `CN=${u.cn},${u.ou}`;
}

function bulkDn(i: number): string {
  return `CN=Bulk User ${String(i).padStart(4, '0')},${STAFF_OU}`;
}

/** A value line of an LDIF record; non-ASCII values are base64 (RFC 2849). */
function ldifLine(attr: string, value: string): string {
  // RFC 2849 SAFE-STRING: printable ASCII not starting with space, colon or "<".
  return /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function unicodePwd(password: string): string {
  return Buffer.from(`"${password}"`, 'utf16le').toString('base64');
}

/** The fixture directory as one LDIF: OUs, >1,000 users, three levels of nested groups, odd cases. */
export function fixtureLdif(): string {
  const records: string[][] = [];
  for (const ou of [STAFF_OU, GROUPS_OU, FINANCE_OU, SALES_OU]) records.push([`dn: ${ou}`, 'objectClass: organizationalUnit']);
  for (const u of Object.values(USERS) as FixtureUser[]) {
    const r = [ldifLine('dn', userDn(u)), 'objectClass: user', `sAMAccountName: ${u.sam}`, `userPrincipalName: ${u.sam}@corp.example.test`, ldifLine('displayName', u.cn)];
    if (u.given) r.push(ldifLine('givenName', u.given));
    if (u.sn) r.push(ldifLine('sn', u.sn));
    if (u.mail) r.push(`mail: ${u.mail}`);
    if (u.department) r.push(ldifLine('department', u.department));
    if (u.employeeNumber) r.push(`employeeNumber: ${u.employeeNumber}`);
    r.push(`unicodePwd:: ${unicodePwd(FIXTURE_USER_PASSWORD)}`);
    r.push(`userAccountControl: ${u.disabled ? 514 : 512}`);
    records.push(r);
  }
  for (let i = 1; i <= BULK_USERS; i++) {
    const n = String(i).padStart(4, '0');
    // 544 = NORMAL_ACCOUNT | PASSWD_NOTREQD: no password hashing, so 1,100 adds stay fast.
    records.push([`dn: ${bulkDn(i)}`, 'objectClass: user', `sAMAccountName: bulk${n}`, `displayName: Bulk User ${n}`, `mail: bulk${n}@corp.example.test`, 'userAccountControl: 544']);
  }
  const group = (dn: string, sam: string, members: string[]) => [ldifLine('dn', dn), 'objectClass: group', `sAMAccountName: ${sam}`, ...members.map((m) => ldifLine('member', m))];
  const named = (Object.values(USERS) as FixtureUser[]).map(userDn);
  const bulk = Array.from({ length: BULK_USERS }, (_, i) => bulkDn(i + 1));
  records.push(group(GROUPS.allStaff, 'all-staff', [...named, ...bulk]));
  records.push(group(GROUPS.employees, 'uurwerk-employees', [GROUPS.allStaff]));
  // Three levels: alice ∈ Finance Leads ∈ Team Leads ∈ Uurwerk Finance Admins.
  records.push(group(GROUPS.financeLeads, 'finance-leads', [userDn(USERS.alice)]));
  records.push(group(GROUPS.teamLeads, 'team-leads', [GROUPS.financeLeads]));
  records.push(group(GROUPS.financeAdmins, 'uurwerk-finance-admins', [GROUPS.teamLeads]));
  records.push(group(GROUPS.salesTeam, 'sales-team', [userDn(USERS.dave), userDn(USERS.erin), userDn(USERS.frank), userDn(USERS.bob), ...bulk.slice(0, 10)]));
  records.push(group(GROUPS.salesAdmins, 'uurwerk-sales-admins', [userDn(USERS.erin)]));
  records.push(group(GROUPS.operators, 'uurwerk-operators', [userDn(USERS.oscar)]));
  records.push(group(GROUPS.auditors, 'uurwerk-auditors', [userDn(USERS.ingrid)]));
  return records.map((r) => r.join('\n')).join('\n\n') + '\n';
}

/** A running Samba DC. */
export interface SambaDirectory {
  dir: string;
  url: string;
  ldapsUrl: string;
  caFile: string;
  adminPasswordFile: string;
  adminPassword: string;
  /** A bound admin connection (ldapts) for tests that change the directory. */
  admin(): Promise<SambaAdmin>;
  stop(): Promise<void>;
}

/** The changes tests make, through a real LDAP connection as Administrator. */
export interface SambaAdmin {
  client: Client;
  move(dn: string, newDn: string): Promise<void>;
  remove(dn: string): Promise<void>;
  replace(dn: string, attr: string, value: string): Promise<void>;
  removeMember(groupDn: string, memberDn: string): Promise<void>;
  addMember(groupDn: string, memberDn: string): Promise<void>;
  add(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  close(): Promise<void>;
}

/** True when `samba-tool`, `samba` and `ldapadd` are installed. */
export function sambaInstalled(): boolean {
  return ['/usr/bin/samba-tool', '/usr/sbin/samba', '/usr/bin/ldapadd'].every((p) => existsSync(p));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  await waitUntil(fn, { timeoutMs: ms, what, intervalMs: 250 });
}

function runDir(): string {
  const logDir = process.env.UURWERK_TEST_LOG_DIR;
  const dir = logDir ? path.dirname(logDir) : path.resolve('.test-tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A test CA and a server certificate for 127.0.0.1, so LDAPS is verified for real. */
async function makeCertificates(tls: string): Promise<void> {
  mkdirSync(tls, { recursive: true });
  const o = (f: string) => path.join(tls, f);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Uurwerk Test CA', '-keyout', o('ca.key'), '-out', o('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', o('server.key'), '-out', o('server.csr')]);
  writeFileSync(o('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', o('server.csr'), '-CA', o('ca.pem'), '-CAkey', o('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', o('ext.cnf'), '-out', o('server.pem')]);
  chmodSync(o('server.key'), 0o600);
}

/** Adds the records of an LDIF file with one `ldapadd` as Administrator, over LDAPS (AD accepts unicodePwd only encrypted). */
export async function loadLdif(samba: Pick<SambaDirectory, 'adminPasswordFile' | 'caFile'>, ldifFile: string): Promise<void> {
  await run('ldapadd', ['-x', '-H', 'ldaps://127.0.0.1:636', '-D', ADMIN_DN, '-y', samba.adminPasswordFile, '-f', ldifFile], {
    env: { ...process.env, LDAPTLS_CACERT: samba.caFile }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`ldapadd failed: ${err.stderr ?? err.message}`);
  });
}

const LOCK_FILE = path.join(tmpdir(), 'uurwerk-samba-389.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the machine-wide Samba lock (a file holding our pid): the Samba test files
 * wait for each other instead of failing on :389, and a lock left by a process that
 * died is taken over.
 */
async function acquireSambaLock(): Promise<() => void> {
  await waitUntil(async () => {
    try {
      writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const holder = Number(readFileSync(LOCK_FILE, 'utf8').trim() || '0');
      if (!holder || !alive(holder)) rmSync(LOCK_FILE, { force: true });
      return false;
    }
  }, { timeoutMs: 15 * 60_000, what: 'the Samba lock (another Samba test file is running)', intervalMs: 500 });
  return () => {
    try {
      if (readFileSync(LOCK_FILE, 'utf8').trim() === String(process.pid)) unlinkSync(LOCK_FILE);
    } catch {
      // already gone
    }
  };
}

/**
 * Provisions a fresh domain, starts Samba and loads the fixture (~20 s). Refuses to
 * start when something already listens on :389 (another Samba left over).
 */
export async function startSamba(): Promise<SambaDirectory> {
  if (!sambaInstalled()) throw new Error('Samba is not installed: apt-get install -y samba ldap-utils (see .ci/run)');
  const release = await acquireSambaLock();
  try {
    return await startSambaLocked(release);
  } catch (err) {
    release();
    throw err;
  }
}

async function startSambaLocked(release: () => void): Promise<SambaDirectory> {
  if (await portOpen(389)) throw new Error('something already listens on 127.0.0.1:389 (a Samba from an earlier run?); only one can run at a time');
  const dir = mkdtempSync(path.join(runDir(), 'samba-'));
  const adminPassword = 'Adm1n-' + Math.random().toString(36).slice(2, 10) + '!';
  const adminPasswordFile = path.join(dir, 'admin-password');
  // No trailing newline: `ldapadd -y` sends the file's bytes as they are.
  writeFileSync(adminPasswordFile, adminPassword, { mode: 0o600 });
  await run('samba-tool', ['domain', 'provision', `--realm=${SAMBA_REALM}`, '--domain=CORP', '--server-role=dc', '--dns-backend=NONE', `--adminpass=${adminPassword}`,
    '--option=interfaces=lo', '--option=bind interfaces only=yes', '--option=ldap server require strong auth=no', `--targetdir=${path.join(dir, 'dc')}`], { timeout: 120_000 });
  const tls = path.join(dir, 'tls');
  await makeCertificates(tls);
  const conf = path.join(dir, 'dc', 'etc', 'smb.conf');
  const options = [
    // Only LDAP: the other services need winbind and friends, which the tests do not use.
    'server services=ldap', 'ldap server require strong auth=no', 'prefork children=2',
    'tls enabled=yes', `tls keyfile=${path.join(tls, 'server.key')}`, `tls certfile=${path.join(tls, 'server.pem')}`, `tls cafile=${path.join(tls, 'ca.pem')}`,
    `pid directory=${path.join(dir, 'run')}`, `log file=${path.join(dir, 'samba.log')}`,
  ];
  mkdirSync(path.join(dir, 'run'), { recursive: true });
  const child: ChildProcess = spawn('samba', ['-s', conf, '-i', '--debug-stdout', '-d', '1', ...options.map((o) => `--option=${o}`)], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  const output: string[] = [];
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  let exited = false;
  child.once('exit', () => { exited = true; });
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await waitFor(async () => exited, 15_000, 'samba to stop').catch(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      });
    }
    await waitFor(async () => !(await portOpen(389)), 10_000, 'port 389 to be free').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    release();
  };
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`samba exited during start:\n${output.join('').slice(-2000)}`);
      return (await portOpen(389)) && (await portOpen(636));
    }, 60_000, 'samba to listen on 389 and 636');
    const ldif = path.join(dir, 'fixture.ldif');
    writeFileSync(ldif, fixtureLdif());
    await loadLdif({ adminPasswordFile, caFile: path.join(tls, 'ca.pem') }, ldif);
  } catch (err) {
    await stop();
    throw err;
  }
  const caFile = path.join(tls, 'ca.pem');
  return {
    dir, url: 'ldap://127.0.0.1:389', ldapsUrl: 'ldaps://127.0.0.1:636', caFile, adminPasswordFile, adminPassword,
    async admin() {
      const client = new Client({ url: 'ldaps://127.0.0.1:636', tlsOptions: { ca: readFileSync(caFile) }, timeout: 30_000 });
      await client.bind(ADMIN_DN, adminPassword);
      return {
        client,
        move: (dn, newDn) => client.modifyDN(dn, newDn),
        remove: (dn) => client.del(dn),
        replace: (dn, attr, value) => client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attr, values: [value] }) })),
        removeMember: (groupDn, memberDn) => client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [memberDn] }) })),
        addMember: (groupDn, memberDn) => client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [memberDn] }) })),
        add: (dn, attributes) => client.add(dn, attributes),
        close: () => client.unbind(),
      };
    },
    stop,
  };
}
