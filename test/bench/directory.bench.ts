/**
 * The directory benchmark of issue #18. Starts the Samba DC the tests use
 * (test/helpers/samba.ts), loads N generated users (DIR_BENCH_USERS, default 5,000)
 * in three levels of nested groups with one `ldapadd`, and prints, in one run: a bare
 * paged `ldapsearch` and a bare ldapts paged search of the same users and
 * attributes, Uurwerk's full sync (first, then again with nothing changed), an
 * incremental sync after 10 changes, an incremental sync with no change, and the
 * ratios; then interactive requests' p99 quiet and during a full sync, in several pairs
 * (DIR_BENCH_P99_PAIRS, default 3; DIR_BENCH_P99=0 skips them). Asserts nothing.
 * Run: `npm run bench:directory` (needs :389 free).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { userAttributes } from '../../src/directory/entry.js';
import { connectDirectory } from '../../src/directory/ldap.js';
import { runDirectorySync, type SyncResult } from '../../src/directory/service.js';
import { parseConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { buildEmployee } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';
import { ADMIN_DN, BASE_DN, loadLdif, startSamba } from '../helpers/samba.js';
import { runLoad, type LoadResult } from './load-client.js';
import { asTestApp, sessionHeaders } from './load-seed.js';

const run = promisify(execFile);
const N = Number(process.env.DIR_BENCH_USERS ?? 5000);
const TEAM_SIZE = 100;
const TEAMS_PER_DEPT = 10;
const BENCH_OU = `OU=Bench,${BASE_DN}`;
const PEOPLE_OU = `OU=People,${BENCH_OU}`;
const BGROUPS_OU = `OU=BenchGroups,${BENCH_OU}`;
const pad = (i: number, n = 5) => String(i).padStart(n, '0');
const userDn = (i: number) => `CN=Bench User ${pad(i)},${PEOPLE_OU}`;
const groupDn = (name: string) => `CN=${name},${BGROUPS_OU}`;
const teams = Math.ceil(N / TEAM_SIZE);
const depts = Math.ceil(teams / TEAMS_PER_DEPT);

/**
 * Three levels of nesting: Bench Staff ∋ Bench Dept d ∋ Bench Team k ∋ users; and per
 * department Admins ∋ Leads ∋ Team Leads ∋ the first user of each of its teams.
 */
function benchLdif(): string {
  const records: string[][] = [BENCH_OU, PEOPLE_OU, BGROUPS_OU].map((ou) => [`dn: ${ou}`, 'objectClass: organizationalUnit']);
  for (let i = 1; i <= N; i++) {
    records.push([`dn: ${userDn(i)}`, 'objectClass: user', `sAMAccountName: bench${pad(i)}`, `displayName: Bench User ${pad(i)}`, `givenName: Bench`, `sn: User ${pad(i)}`,
      `mail: bench${pad(i)}@corp.example.test`, `department: Dept ${Math.floor((i - 1) / TEAM_SIZE / TEAMS_PER_DEPT) + 1}`, `employeeNumber: B${pad(i)}`, 'userAccountControl: 544']);
  }
  const group = (name: string, members: string[]) => [`dn: ${groupDn(name)}`, 'objectClass: group', `sAMAccountName: ${name.toLowerCase().replace(/ /g, '-')}`, ...members.map((m) => `member: ${m}`)];
  for (let k = 1; k <= teams; k++) {
    const users = Array.from({ length: TEAM_SIZE }, (_, j) => (k - 1) * TEAM_SIZE + j + 1).filter((i) => i <= N);
    records.push(group(`Bench Team ${k}`, users.map(userDn)));
  }
  for (let d = 1; d <= depts; d++) {
    const ks = Array.from({ length: TEAMS_PER_DEPT }, (_, j) => (d - 1) * TEAMS_PER_DEPT + j + 1).filter((k) => k <= teams);
    records.push(group(`Bench Dept ${d}`, ks.map((k) => groupDn(`Bench Team ${k}`))));
    records.push(group(`Bench Dept ${d} Team Leads`, ks.map((k) => userDn((k - 1) * TEAM_SIZE + 1))));
    records.push(group(`Bench Dept ${d} Leads`, [groupDn(`Bench Dept ${d} Team Leads`)]));
    records.push(group(`Bench Dept ${d} Admins`, [groupDn(`Bench Dept ${d} Leads`)]));
  }
  records.push(group('Bench Staff', Array.from({ length: depts }, (_, d) => groupDn(`Bench Dept ${d + 1}`))));
  records.push(group('Bench Auditor Leads', [userDn(2), userDn(3)]));
  records.push(group('Bench Auditors', [groupDn('Bench Auditor Leads')]));
  return records.map((r) => r.join('\n')).join('\n\n') + '\n';
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const samba = await startSamba();
const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-dirbench-'));
// Its own top-level temporary directory: the postgres user must be able to reach it.
const pgDir = mkdtempSync(path.join(tmpdir(), 'uurwerk-dirbench-pg-'));
let pgServer: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
let app: Awaited<ReturnType<typeof startAppliance>> | undefined;
try {
  const ldif = path.join(dir, 'bench.ldif');
  writeFileSync(ldif, benchLdif());
  const loaded = await timed(() => loadLdif(samba, ldif));
  process.stderr.write(`loaded ${N} users in ${teams} teams, ${depts} departments: ${secs(loaded.ms)}\n`);

  const logger = pino({ level: 'silent' });
  pgServer = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), logger, database: 'bench' });
  const config = parseConfig({
    data_dir: dir, server: { port: 0 }, database: { url: pgServer.url }, log: { level: 'silent' },
    directory: {
      urls: [samba.ldapsUrl], ca_file: samba.caFile, bind_dn: ADMIN_DN, bind_password_file: samba.adminPasswordFile,
      base_dns: [PEOPLE_OU], page_size: 500,
      safety: { max_deactivate_count: N },
      roles: {
        employee_groups: [groupDn('Bench Staff')],
        auditor_groups: [groupDn('Bench Auditors')],
        teams: Array.from({ length: depts }, (_, d) => ({ name: `Dept ${d + 1}`, admin_groups: [groupDn(`Bench Dept ${d + 1} Admins`)], scope: { groups: [groupDn(`Bench Dept ${d + 1}`)] } })),
      },
    },
  }, 'bench');
  app = await startAppliance(config, logger, { jobs: false });
  const appliance = app;
  const sync = async (full: boolean): Promise<{ ms: number; value: SyncResult }> => {
    const r = await timed(() => runDirectorySync(appliance.db, { config: config.directory, audit: appliance.services.audit, logger }, { full, trigger: 'bench', actorId: 'system' }));
    if (r.value.outcome !== 'applied') throw new Error(`sync ${r.value.outcome}: ${JSON.stringify(r.value.problem)}`);
    return r;
  };

  const attrs = userAttributes(config.directory);
  const bareCli = await timed(() => run('ldapsearch', ['-x', '-LLL', '-H', samba.ldapsUrl, '-D', ADMIN_DN, '-y', samba.adminPasswordFile, '-b', PEOPLE_OU,
    '-E', 'pr=500/noprompt', config.directory.user_filter, ...attrs], { env: { ...process.env, LDAPTLS_CACERT: samba.caFile }, maxBuffer: 256 * 1024 * 1024 }));
  const bareLdapts = await timed(async () => {
    const reader = await connectDirectory(config.directory, logger);
    try {
      return (await reader.users({ now: new Date() })).users.length;
    } finally {
      await reader.close();
    }
  });
  const first = await sync(true);
  const fullAgain = await sync(true);

  // Ten changes: six attribute edits, two moves between teams, one disable, one new user in a team.
  const admin = await samba.admin();
  const changeStart = performance.now();
  for (let i = 0; i < 6; i++) await admin.replace(userDn(10 + i), 'displayName', `Bench User ${pad(10 + i)} (renamed)`);
  for (const i of [20, 21]) {
    await admin.removeMember(groupDn('Bench Team 1'), userDn(i));
    await admin.addMember(groupDn(`Bench Team ${Math.min(2, teams)}`), userDn(i));
  }
  await admin.replace(userDn(30), 'userAccountControl', '546');
  await admin.add(`CN=Bench New Hire,${PEOPLE_OU}`, { objectClass: 'user', sAMAccountName: 'bench-new', displayName: 'Bench New Hire', userAccountControl: '544' });
  await admin.addMember(groupDn('Bench Team 1'), `CN=Bench New Hire,${PEOPLE_OU}`);
  await admin.close();
  process.stderr.write(`made 10 changes in ${secs(performance.now() - changeStart)}\n`);
  const incremental = await sync(false);
  const noChange = await sync(false);

  const ph = (x: { value: SyncResult }) => (x.value.phases ? `(read ${secs(x.value.phases.readMs)}, apply ${secs(x.value.phases.applyMs)})` : '');
  const ratio = (ms: number) => `${(ms / bareCli.ms).toFixed(1)}× ldapsearch, ${(ms / bareLdapts.ms).toFixed(1)}× ldapts`;
  // Interactive requests (a signed-in employee reading a setting, 8 connections): quiet, then during a
  // full sync, DIR_BENCH_P99_PAIRS times in turn (default 3): on a shared machine one pair is noise.
  const pairs: Array<{ quiet: LoadResult; during: LoadResult; syncMs: number; loopMaxMs: number; loopP99Ms: number; loadavg: string }> = [];
  if (process.env.DIR_BENCH_P99 !== '0') {
    const person = await buildEmployee(asTestApp(appliance, config, pgServer.url));
    const spec = (durationMs: number) => ({ base: appliance.url, connections: 8, durationMs, requests: [{ method: 'GET' as const, path: '/api/v1/me/timesheet-settings', headers: sessionHeaders(person.client) }] });
    for (let i = 0; i < Number(process.env.DIR_BENCH_P99_PAIRS ?? 3); i++) {
      const quiet = await runLoad(spec(Math.max(2000, fullAgain.ms)));
      // How long the server's event loop was held at a time while the sync ran beside the requests.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const [during, s] = await Promise.all([runLoad(spec(Math.max(2000, fullAgain.ms))), sync(true)]);
      loop.disable();
      pairs.push({ quiet, during, syncMs: s.ms, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6, loadavg: loadavg().map((x) => x.toFixed(1)).join(' ') });
    }
  }

  const rows: Array<[string, number, string]> = [
    ['bare paged ldapsearch (CLI) of the same users and attributes', bareCli.ms, ''],
    [`bare paged search (ldapts, ${bareLdapts.value} users)`, bareLdapts.ms, ''],
    [`full sync, first (creates ${first.value.counts.created} accounts)`, first.ms, `${ratio(first.ms)} ${ph(first)}`],
    ['full sync, nothing changed', fullAgain.ms, `${ratio(fullAgain.ms)} ${ph(fullAgain)}`],
    [`incremental sync after 10 changes (fetched ${incremental.value.counts.fetched}, updated ${incremental.value.counts.updated}, created ${incremental.value.counts.created}, disabled ${incremental.value.counts.disabled})`, incremental.ms, `${incremental.ms < 1000 ? 'under 1 s' : 'OVER 1 s'} ${ph(incremental)}`],
    [`incremental sync with no change (fetched ${noChange.value.counts.fetched})`, noChange.ms, ph(noChange)],
  ];
  console.log(`\nDirectory sync, ${N} users, ${teams} teams in ${depts} departments (3 levels of nesting), Samba AD DC on loopback over LDAPS\n`);
  for (const [name, ms, note] of rows) console.log(`${name.padEnd(96)} ${secs(ms).padStart(9)}  ${note}`);
  if (pairs.length > 0) {
    const l = (x: LoadResult) => `${x.requests} requests, p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, non-2xx ${x.non2xx}`;
    console.log('\ninteractive GET /api/v1/me/timesheet-settings at 8 connections, quiet then during a full sync (pairs in turn):');
    for (const p of pairs) {
      console.log(`  quiet ${l(p.quiet)} | during a full sync (${secs(p.syncMs)}) ${l(p.during)} | p99 ratio ${(p.during.p99 / p.quiet.p99).toFixed(2)} | event-loop delay during p99 ${p.loopP99Ms.toFixed(0)} ms, max ${p.loopMaxMs.toFixed(0)} ms | load average ${p.loadavg}`);
    }
    const ratios = pairs.map((p) => p.during.p99 / p.quiet.p99).sort((a, b) => a - b);
    console.log(`  median p99 ratio during/quiet: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (target ≤ 2)`);
  }
} finally {
  await app?.stop().catch(() => undefined);
  await pgServer?.stop().catch(() => undefined);
  await samba.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pgDir, { recursive: true, force: true });
}
