import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear. Secrets (passwords, tokens, cookies,
 * TOTP codes) and personal fields (names, mail addresses, notes) never reach a log line.
 */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'token', '*.token', '*.*.token',
  'secret', '*.secret',
  'totp', '*.totp', 'totp_code', '*.totp_code', 'recovery_code', '*.recovery_code',
  'passphrase', '*.passphrase',
  'authorization', '*.authorization',
  'cookie', '*.cookie', 'set-cookie', '*.set-cookie',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'email', '*.email', 'mail', '*.mail', 'to', '*.to',
  'name', '*.display_name', 'display_name', '*.given_name', '*.surname',
  'note', '*.note', 'notes', '*.notes', 'text', '*.text', 'html', '*.html',
  'body', '*.body',
];

/** Raised when `log.format: pretty` is asked for where the development package is missing. */
export class LogFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogFormatError';
  }
}

const requireHere = createRequire(import.meta.url);

/**
 * Finds pino-pretty, a development dependency: production installs (`npm prune
 * --omit=dev`, the offline bundle) leave it out, so asking for `pretty` there gets a
 * clear refusal instead of a failing log transport.
 */
export function prettyTarget(resolve: (id: string) => string = (id) => requireHere.resolve(id)): string {
  try {
    return resolve('pino-pretty');
  } catch {
    throw new LogFormatError('log.format: pretty needs pino-pretty, a development package that production installs leave out; set log.format: json (the default) or run `npm install pino-pretty`');
  }
}

/**
 * Builds the one root logger: JSON to stdout, or a human-readable stream for
 * development (`log.format: pretty`, which loads pino-pretty only then).
 */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream, resolve?: (id: string) => string): Logger {
  const options: LoggerOptions = {
    level: config.log.level,
    base: { app: 'uurwerk' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.log.format === 'pretty' && !destination) {
    return pino({ ...options, transport: { target: prettyTarget(resolve), options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return destination ? pino(options, destination) : pino(options);
}
