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

/** Builds the one root logger: JSON to stdout, or a human-readable stream for development. */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.log.level,
    base: { app: 'uurwerk' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.log.format === 'pretty' && !destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return destination ? pino(options, destination) : pino(options);
}
