import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * One YAML file configures the whole appliance. Every key is documented in
 * `config.example.yaml`; this schema is the single source of truth for what is
 * accepted. Objects are strict, so a typo is an error rather than a silent default.
 */

/** A path to a file that must exist and be readable when the config is loaded. */
const existingFile = z
  .string()
  .min(1)
  .refine((p) => existsSync(p) && statSync(p).isFile(), { message: 'file does not exist or is not a regular file' });

const port = z.number().int().min(0).max(65535);

const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    public_url: z.url().optional(),
    trust_proxy: z.boolean().default(false),
    body_limit_kb: z.number().int().min(1).max(10240).default(256),
    shutdown_timeout_seconds: z.number().int().min(1).max(300).default(8),
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
    migrate_on_start: z.boolean().default(true),
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
    max_attempts: z.number().int().min(1).max(1000).default(50),
    retry_base_seconds: z.number().int().min(1).max(3600).default(30),
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

const uiSchema = z
  .strictObject({
    default_language: z.enum(['nl', 'en']).default('nl'),
    organisation_name: z.string().min(1).max(200).default('Uurwerk'),
  })
  .prefault({});

/** The whole configuration file. */
export const configSchema = z.strictObject({
  data_dir: z.string().min(1).default('./var'),
  server: serverSchema,
  database: databaseSchema,
  log: logSchema,
  mail: mailSchema,
  jobs: jobsSchema,
  ui: uiSchema,
});

export type Config = z.infer<typeof configSchema>;

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
