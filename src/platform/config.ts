import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { alarmsSchema, metricsSchema, privacySchema } from './config-oversight.js';
import { cron, existingFile, ipOrCidr, timeZone } from './config-values.js';

/**
 * One YAML file configures the whole appliance. Every key is documented in
 * `config.example.yaml`; this schema is the single source of truth for what is
 * accepted. Objects are strict, so a typo is an error rather than a silent default.
 */

const port = z.number().int().min(0).max(65535);

const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    public_url: z.url().optional(),
    /** Deprecated: `true` trusts a proxy on loopback only; prefer `trusted_proxies`. */
    trust_proxy: z.boolean().default(false),
    /** Peers whose X-Forwarded-For/-Proto/-Host are honoured (IPs/CIDRs). Empty: none. */
    trusted_proxies: z.array(ipOrCidr).max(100).default([]),
    body_limit_kb: z.number().int().min(1).max(10240).default(256),
    shutdown_timeout_seconds: z.number().int().min(1).max(300).default(8),
    /** HTTPS with the organisation's certificate (or one from `uurwerk tls:generate`). */
    tls: z
      .strictObject({
        cert_file: existingFile,
        key_file: existingFile,
        /** Intermediate certificates sent along with the server certificate. */
        chain_file: existingFile.optional(),
        min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      })
      .optional(),
  })
  .prefault({});

const databaseSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    password_file: existingFile.optional(),
    ssl_ca_file: existingFile.optional(),
    pool_max: z.number().int().min(2).max(100).default(10),
    statement_timeout_ms: z.number().int().min(0).default(30000),
    acquire_timeout_ms: z.number().int().min(100).max(60000).default(5000),
    migrate_on_start: z.boolean().default(true),
    prepared_statements: z.boolean().default(true),
    embedded: z
      .strictObject({
        port: port.default(54329),
      })
      .prefault({}),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  })
  .prefault({});

const mailSchema = z
  .strictObject({
    from: z.string().min(3).default('Uurwerk <uurwerk@localhost>'),
    host: z.string().min(1).default('localhost'),
    port: port.default(25),
    /** `implicit` = TLS from the first byte (port 465); `starttls` = upgrade when offered. */
    tls: z.enum(['starttls', 'require_starttls', 'implicit', 'none']).default('starttls'),
    ca_file: existingFile.optional(),
    username: z.string().min(1).optional(),
    password_file: existingFile.optional(),
    max_attempts: z.number().int().min(1).max(1000).default(12),
    /** First retry delay; pg-boss doubles it per retry (src/platform/mail/worker.ts). */
    retry_base_seconds: z.number().int().min(1).max(3600).default(30),
    /** Deprecated, no effect (pg-boss's backoff has no cap); accepted for older files. */
    retry_max_seconds: z.number().int().min(1).max(86400).default(3600),
    poll_seconds: z.number().int().min(1).max(3600).default(30),
    sent_retention_days: z.number().int().min(1).max(3650).default(30),
    timeout_seconds: z.number().int().min(1).max(600).default(30),
  })
  .prefault({});

const jobsSchema = z
  .strictObject({
    housekeeping_cron: z.string().min(9).default('17 * * * *'),
  })
  .prefault({});

/** A distinguished name as written in the directory (not parsed, only sanity-checked). */
const dn = z.string().min(3).regex(/=/, 'must be a distinguished name such as OU=Staff,DC=corp,DC=example');

/** A team admin entry: who administers (AD groups) and whom (members of groups, or an OU). */
const directoryTeamSchema = z.strictObject({
  name: z.string().min(1).max(100),
  admin_groups: z.array(dn).min(1),
  scope: z.union([
    z.strictObject({ groups: z.array(dn).min(1) }),
    z.strictObject({ ou: dn }),
  ]),
});

const directorySchema = z
  .strictObject({
    /** Directory servers in order of preference; empty = no directory (local accounts only). */
    urls: z.array(z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/, 'must be ldaps://host[:port] or ldap://host[:port]')).default([]),
    starttls: z.boolean().default(false),
    ca_file: existingFile.optional(),
    allow_plain_ldap: z.boolean().default(false),
    bind_dn: z.string().min(1).optional(),
    bind_password_file: existingFile.optional(),
    base_dns: z.array(dn).default([]),
    user_filter: z.string().regex(/^\(.*\)$/, 'must be an LDAP filter in parentheses').default('(&(objectClass=user)(objectCategory=person))'),
    id_attribute: z.string().min(1).default('objectGUID'),
    attributes: z
      .strictObject({
        username: z.string().min(1).default('sAMAccountName'),
        display_name: z.string().min(1).default('displayName'),
        given_name: z.string().min(1).default('givenName'),
        surname: z.string().min(1).default('sn'),
        email: z.string().min(1).default('mail'),
        department: z.string().min(1).default('department'),
        employee_number: z.string().min(1).default('employeeNumber'),
      })
      .prefault({}),
    page_size: z.number().int().min(1).max(5000).default(500),
    timeout_seconds: z.number().int().min(1).max(600).default(30),
    sync_cron: cron.default('7 * * * *'),
    full_reconcile_cron: cron.default('37 2 * * *'),
    roles: z
      .strictObject({
        employee_groups: z.array(dn).default([]),
        teams: z.array(directoryTeamSchema).default([]),
        auditor_groups: z.array(dn).default([]),
        operator_groups: z.array(dn).default([]),
        dpo_groups: z.array(dn).default([]),
        reports_groups: z.array(dn).default([]),
        payroll_groups: z.array(dn).default([]),
      })
      .prefault({}),
    safety: z
      .strictObject({
        max_deactivate_count: z.number().int().min(0).default(5),
        max_deactivate_percent: z.number().min(0).max(100).default(10),
      })
      .prefault({}),
  })
  .superRefine((d, ctx) => {
    if (d.urls.length === 0) return;
    for (const [i, url] of d.urls.entries()) {
      if (url.startsWith('ldap://') && !d.starttls && !d.allow_plain_ldap) {
        ctx.addIssue({ code: 'custom', path: ['urls', i], message: 'plain ldap:// sends the bind password in clear text: use ldaps://, set starttls: true, or set allow_plain_ldap: true' });
      }
      if (url.startsWith('ldaps://') && d.starttls) {
        ctx.addIssue({ code: 'custom', path: ['starttls'], message: 'starttls applies to ldap:// URLs only; ldaps:// is already TLS' });
      }
    }
    if (d.base_dns.length === 0) ctx.addIssue({ code: 'custom', path: ['base_dns'], message: 'at least one base DN is needed when urls are set' });
    if ((d.bind_dn === undefined) !== (d.bind_password_file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['bind_password_file'], message: 'bind_dn and bind_password_file go together' });
    }
    const names = d.roles.teams.map((t) => t.name);
    for (const [i, name] of names.entries()) {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['roles', 'teams', i, 'name'], message: 'team names must be unique' });
    }
  })
  .prefault({});

const keysSchema = z
  .strictObject({
    /** Keyring directory (0700); default `<data_dir>/keys`. */
    dir: z.string().min(1).optional(),
    /** Create the keyring on first start when the database has never had one. */
    create_on_start: z.boolean().default(true),
  })
  .prefault({});

const uiSchema = z
  .strictObject({
    default_language: z.enum(['nl', 'en']).default('nl'),
    organisation_name: z.string().min(1).max(200).default('Uurwerk'),
  })
  .prefault({});

/** The whole configuration file. */
const authSchema = z
  .strictObject({
    /** A session ends after this long without a request. */
    session_idle_minutes: z.number().int().min(1).max(24 * 60).default(30),
    /** A session ends this long after sign-in, however active. */
    session_absolute_hours: z.number().int().min(1).max(24 * 30).default(12),
    /** Require a second factor of every user, not only of admins, auditors and operators. */
    totp_required_for_all: z.boolean().default(false),
    /** Seconds a personal API token found live is trusted without asking the database again (0: ask every time). */
    token_cache_seconds: z.number().int().min(0).max(60).default(5),
    /** Seconds a session cookie found live is trusted without asking the database again (0: ask every time). */
    session_cache_seconds: z.number().int().min(0).max(60).default(5),
    /** Failed sign-ins per account before it is throttled (backoff doubles per further failure). */
    account_max_failures: z.number().int().min(1).max(100).default(5),
    /** Failed sign-ins per source address before it is throttled. */
    address_max_failures: z.number().int().min(1).max(10000).default(20),
    /** Failures are counted over this window; it restarts after a quiet window. */
    throttle_window_minutes: z.number().int().min(1).max(24 * 60).default(15),
    /** First throttle delay; doubles per further failure, capped at throttle_max_seconds. */
    throttle_base_seconds: z.number().int().min(1).max(3600).default(30),
    throttle_max_seconds: z.number().int().min(1).max(86400).default(900),
    /** Lifetime of a password-reset link. */
    password_reset_minutes: z.number().int().min(5).max(24 * 60).default(30),
  })
  .prefault({});

const timesheetsSchema = z
  .strictObject({
    /** Days follow this time zone unless a person sets their own. */
    time_zone: timeZone.default('Europe/Amsterdam'),
    /** Longest note on a time entry, in characters. */
    note_max_length: z.number().int().min(1).max(20000).default(2000),
    /**
     * An entry longer than this many hours, or a day whose total goes over
     * max_day_hours, is saved only when confirmed (`confirm_long`); the inbox flags it.
     * No entry may ever last over 24 hours. A timer forgotten running stops at max_entry_hours.
     */
    max_entry_hours: z.number().int().min(1).max(24).default(12),
    max_day_hours: z.number().int().min(1).max(24).default(12),
    /** Entries may lie at most this many days in the past / future. */
    max_days_back: z.number().int().min(1).max(3660).default(400),
    max_days_ahead: z.number().int().min(0).max(366).default(60),
    /** Reminder mail for days left unsubmitted (the timesheets.reminders job, when enabled). */
    reminder: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Remind about drafts older than this many days. */
        after_days: z.number().int().min(1).max(60).default(3),
        cron: cron.default('0 8 * * 1-5'),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * A retention period as people write it: `7 years`, `12 months`, `30 days`
 * (singular or plural). What it is counted from is fixed per category
 * (src/retention/policy.ts), not configurable.
 */
export const retentionPeriod = z
  .string()
  .regex(/^[1-9]\d{0,4} (day|days|month|months|year|years)$/, 'must be a period such as "7 years", "12 months" or "30 days"');

/** How long each category of data is kept; documented per key in config.example.yaml. */
const retentionSchema = z
  .strictObject({
    submitted_days: retentionPeriod.default('7 years'),
    drafts: retentionPeriod.default('12 months'),
    raw_capture: retentionPeriod.default('30 days'),
    audit_events: retentionPeriod.default('7 years'),
    sign_in_records: retentionPeriod.default('30 days'),
    mail_outbox: retentionPeriod.default('30 days'),
    directory_sync_runs: retentionPeriod.default('1 year'),
    leavers: retentionPeriod.default('1 year'),
    requests: retentionPeriod.default('5 years'),
    breaches: retentionPeriod.default('5 years'),
    alarms: retentionPeriod.default('1 year'),
    /** Cron (UTC) of the daily retention run. */
    cron: cron.default('23 3 * * *'),
    /** Rows deleted (or keys shredded) per transaction, so requests keep their latency. */
    batch_size: z.number().int().min(1).max(10000).default(1000),
  })
  .prefault({});

/** Organisation reports (src/reports/): the k rule and the fold of approved days into the store. */
const reportsSchema = z
  .strictObject({
    /** Figures resting on fewer than k distinct people are suppressed; k may only be raised (min 5). */
    k: z.number().int().min(5, 'must be at least 5 (k can only be raised)').max(1000).default(5),
    /** When approved and reopened days are folded into the report store (UTC cron). */
    fold_cron: cron.default('*/10 * * * *'),
    /** A fold waits until the pending days hold k distinct people, or the oldest has waited this long. */
    fold_max_delay_hours: z.number().int().min(0).max(168).default(24),
    /** Working-time warnings (defaults from the Dutch Arbeidstijdenwet); warnings only, never blocks. */
    working_time: z
      .strictObject({
        max_shift_hours: z.number().min(1).max(24).default(12),
        max_week_hours: z.number().min(1).max(168).default(60),
        min_rest_hours: z.number().min(0).max(24).default(11),
        /** A gap between entries up to this long is a break within the shift; a longer one ends the shift. */
        shift_gap_hours: z.number().min(0).max(11).default(3),
        /** Working longer than this in a shift needs break_minutes of breaks. */
        break_after_hours: z.number().min(0).max(24).default(5.5),
        break_minutes: z.number().int().min(0).max(240).default(30),
        /** Working longer than this in a shift needs long_break_minutes of breaks. */
        long_break_after_hours: z.number().min(0).max(24).default(10),
        long_break_minutes: z.number().int().min(0).max(240).default(45),
      })
      .prefault({}),
  })
  .prefault({});

const captureSchema = z
  .strictObject({
    // Agent requests (the ActivityWatch API) worked on at once; 0 = no limit (src/capture/agent-gate.ts).
    agents_at_once: z.number().int().min(0).max(10000).default(0),
    // A port of its own for the agent API, served by a worker thread (src/app/agent-server.ts); 0 = off.
    agent_port: z.number().int().min(0).max(65535).default(0),
  })
  .prefault({});

export const configSchema = z.strictObject({
  data_dir: z.string().min(1).default('./var'),
  server: serverSchema,
  database: databaseSchema,
  log: logSchema,
  mail: mailSchema,
  jobs: jobsSchema,
  ui: uiSchema,
  keys: keysSchema,
  directory: directorySchema,
  auth: authSchema,
  timesheets: timesheetsSchema,
  retention: retentionSchema,
  reports: reportsSchema,
  capture: captureSchema,
  privacy: privacySchema,
  alarms: alarmsSchema,
  metrics: metricsSchema,
}).superRefine((c, ctx) => {
  // The agent API's own port must not be one the appliance already listens on.
  const agentPort = c.capture.agent_port;
  if (agentPort > 0 && agentPort === c.server.port) ctx.addIssue({ code: 'custom', path: ['capture', 'agent_port'], message: 'must differ from server.port' });
  if (agentPort > 0 && !c.database.url && agentPort === c.database.embedded.port) ctx.addIssue({ code: 'custom', path: ['capture', 'agent_port'], message: 'must differ from database.embedded.port' });
});

export type Config = z.infer<typeof configSchema>;

/** The `directory` section (LDAP/AD sync and group → role mapping). */
export type DirectoryConfig = Config['directory'];

/** One problem with the configuration, with the dotted key path it concerns. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** Thrown when the configuration cannot be used; carries every problem found. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} configuration problem(s)\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function keyPath(parts: ReadonlyArray<PropertyKey>): string {
  return parts.length === 0 ? '(top level)' : parts.map(String).join('.');
}

/** Turns zod issues into one problem per key; unknown keys are listed one by one. */
function toProblems(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push({ key: keyPath([...issue.path, k]), message: 'unknown key' });
    } else {
      problems.push({ key: keyPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/**
 * Validates a plain object as configuration. Relative paths (`data_dir`, `*_file`)
 * are resolved against `baseDir` (the directory holding the YAML file) before
 * validation, so "file does not exist" refers to the path that will really be used.
 */
export function parseConfig(raw: unknown, source = 'configuration', baseDir = process.cwd()): Readonly<Config> {
  const resolved = resolvePaths(raw ?? {}, baseDir);
  const result = configSchema.safeParse(resolved);
  if (!result.success) throw new ConfigError(source, toProblems(result.error));
  const config = result.data;
  config.data_dir = path.resolve(baseDir, config.data_dir);
  if (config.keys.dir !== undefined) config.keys.dir = path.resolve(baseDir, config.keys.dir);
  return deepFreeze(config);
}

function resolvePaths(raw: unknown, baseDir: string): unknown {
  if (Array.isArray(raw) || raw === null || typeof raw !== 'object') return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string' && (k.endsWith('_file') || k === 'data_dir')) out[k] = path.resolve(baseDir, v);
    else out[k] = resolvePaths(v, baseDir);
  }
  return out;
}

/** The raw YAML of the chosen configuration file, before validation. */
export interface ConfigSource {
  /** File path, or a description when no file is used. */
  source: string;
  raw: unknown;
  baseDir: string;
}

/**
 * Reads `--config FILE`, else `UURWERK_CONFIG`, else nothing (all defaults).
 * A YAML syntax error is reported with its line, like every other problem.
 */
export function readConfigSource(file?: string, env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const chosen = file ?? env.UURWERK_CONFIG;
  if (!chosen) return { source: 'defaults (no configuration file)', raw: {}, baseDir: process.cwd() };
  const abs = path.resolve(chosen);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(abs, [{ key: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(abs, doc.errors.map((e) => ({ key: '(yaml)', message: e.message.split('\n')[0] ?? e.message })));
  }
  return { source: abs, raw: doc.toJS() ?? {}, baseDir: path.dirname(abs) };
}

/** Reads and validates the configuration in one step. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const src = readConfigSource(file, env);
  return parseConfig(src.raw, src.source, src.baseDir);
}

/** Reads a secret from a `*_file` key, trimming one trailing newline. */
export function readSecret(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
