import test from 'ava';
import { createLogger, LogFormatError, prettyTarget } from '../../src/platform/logger.js';

test('log.format: pretty loads pino-pretty (a development dependency) when it is installed', (t) => {
  t.regex(prettyTarget(), /pino-pretty/);
  const logger = createLogger({ log: { level: 'warn', format: 'pretty' } });
  t.is(typeof logger.info, 'function');
  logger.flush();
});

test('log.format: pretty without pino-pretty (a production install) fails with a message naming the key and the fix', (t) => {
  const missing = (id: string): string => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  const err = t.throws(() => createLogger({ log: { level: 'info', format: 'pretty' } }, undefined, missing), { instanceOf: LogFormatError });
  t.regex(err!.message, /log\.format: pretty needs pino-pretty/);
  t.regex(err!.message, /log\.format: json/);
  // JSON logging never needs it.
  t.notThrows(() => createLogger({ log: { level: 'info', format: 'json' } }, undefined, missing));
});
