import { chainStaged } from '../../src/audit/chainer.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { applianceModules, retentionHandlers } from '../../src/app/modules.js';
import { openCoreServices, type CoreServices } from '../../src/app/services.js';
import { fixedClock, type Clock } from '../../src/platform/clock.js';
import { parseConfig, type Config } from '../../src/platform/config.js';
import type { Knex } from '../../src/platform/db.js';
import { createTransport } from '../../src/platform/mail/delivery.js';
import type { RetentionHandler } from '../../src/platform/retention.js';
import type { RetentionDeps } from '../../src/retention/run.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { TestApp } from '../helpers/app.js';
import { testLogger } from '../helpers/log.js';

/** A database with a real keyring and audit log, the appliance's handlers and a config file for CLI runs. */
export interface RetentionWorld {
  db: TestDatabase;
  knex: Knex;
  config: Readonly<Config>;
  services: CoreServices;
  handlers: RetentionHandler[];
  /** A config file pointing at the same database and keyring. */
  configFile: string;
  deps(clock?: Clock): RetentionDeps;
}

/** Builds a RetentionWorld; `raw` is merged into the configuration (e.g. `{ retention: { batch_size: 50 } }`). */
export async function retentionWorld(t: ExecutionContext, raw: Record<string, unknown> = {}, yaml = ''): Promise<RetentionWorld> {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-retention-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const config = parseConfig({ ...raw, data_dir: dataDir, database: { url: db.url } }, 'test');
  const logger = testLogger(t.title);
  const services = await openCoreServices(config, db.knex, logger);
  const handlers = retentionHandlers(applianceModules({ db: db.knex, config, logger, services, transport: createTransport(config.mail), tls: false }));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, `data_dir: ${dataDir}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n${yaml}`);
  return {
    db, knex: db.knex, config, services, handlers, configFile,
    deps: (clock = fixedClock(new Date())) => ({ db: db.knex, retention: config.retention, handlers, audit: services.audit, logger, clock }),
  };
}

/** Inserts `n` delivered mails, sent `daysAgo` days ago (bodies already emptied, as delivery leaves them). */
export async function seedSentMails(knex: Knex, n: number, daysAgo: number, status: 'sent' | 'failed' = 'sent'): Promise<void> {
  await knex.raw(
    `INSERT INTO mail_outbox (recipients, subject, message_id, status, sent_at, created_at, text_body)
     SELECT ARRAY['someone@example.test'], 'notice', gen_random_uuid()::text || '@test', ?, now() - make_interval(days => ?), now() - make_interval(days => ?), NULL
     FROM generate_series(1, ?)`,
    [status, daysAgo, daysAgo, n],
  );
}

/** Inserts a directory account (deactivated `daysAgo` days ago when given) with a password-less profile. */
export async function seedAccount(knex: Knex, opts: { username: string; deactivatedDaysAgo?: number }): Promise<string> {
  const [row] = (await knex('accounts').insert({
    source: 'directory', username: opts.username, directory_id: `guid-${opts.username}`, dn: `CN=${opts.username},OU=Staff,DC=x`,
    display_name: `Name of ${opts.username}`, given_name: 'Given', surname: 'Surname', email: `${opts.username}@example.test`, employee_number: '42',
    status: opts.deactivatedDaysAgo === undefined ? 'active' : 'deactivated',
    status_changed_at: knex.raw('now() - make_interval(days => ?)', [opts.deactivatedDaysAgo ?? 0]),
  }).returning('id')) as Array<{ id: string }>;
  return row!.id;
}

/** Audit events with the given action, oldest first. */
export async function auditEvents(knex: Knex, action: string): Promise<Array<{ seq: number; actor_id: string; subject_id: string | null; payload: Record<string, unknown>; personal: string | null }>> {
  await chainStaged(knex); // group commit: what the service calls before staged, as a request's answer would have waited for
  return knex.withSchema('audit').table('events').where({ action }).orderBy('seq').select('seq', 'actor_id', 'subject_id', 'payload', 'personal');
}

/** RetentionDeps for a running test app (its database, audit log and the appliance's handlers). */
export function appRetentionDeps(a: TestApp, name: string, clock: Clock = { now: () => new Date() }): RetentionDeps {
  const logger = testLogger(name);
  const handlers = retentionHandlers(applianceModules({ db: a.db.knex, config: a.config, logger, services: a.app.services, transport: createTransport(a.config.mail), tls: false }));
  return { db: a.db.knex, retention: a.config.retention, handlers, audit: a.app.services.audit, logger, clock };
}
