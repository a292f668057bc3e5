import path from 'node:path';
import { pino, type Logger } from 'pino';
import { createLogger } from '../../src/platform/logger.js';

/**
 * A logger with the production settings (redaction included) writing to the run's
 * log directory, one file per test worker, so a test can scan everything logged.
 */
export function testLogger(name = 'test'): Logger {
  return createLogger({ log: { level: 'debug', format: 'json' } }, pino.destination({ dest: testLogFile(), sync: true, mkdir: true })).child({ test: name });
}

/** The file this test process's loggers write to. */
export function testLogFile(): string {
  const dir = process.env.UURWERK_TEST_LOG_DIR ?? path.join(process.cwd(), '.test-tmp', 'logs');
  return path.join(dir, `${path.basename(process.argv[1] ?? 'worker')}-${process.pid}.log`);
}
