import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../src/platform/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, logger: createLogger({ log: { level: 'info', format: 'json' } }, stream) };
}

test('passwords, tokens, cookies, TOTP codes and personal fields are redacted from log lines', (t) => {
  const { lines, logger } = capture();
  logger.child({ module: 'x', requestId: 'r-1' }).info({
    password: 'hunter2-secret', token: 'tok-123', totp_code: '123456',
    req: { headers: { authorization: 'Bearer abc', cookie: '__Host-uurwerk_session=zzz' } },
    user: { email: 'ann@example.test', display_name: 'Ann Example', note: 'private note' },
    count: 3,
  }, 'hello');
  const line = lines.join('');
  for (const secret of ['hunter2-secret', 'tok-123', '123456', 'Bearer abc', 'uurwerk_session=zzz', 'ann@example.test', 'Ann Example', 'private note']) {
    t.false(line.includes(secret), secret);
  }
  const parsed = JSON.parse(line) as Record<string, unknown>;
  t.is(parsed.count, 3, 'other fields stay');
  t.is(parsed.requestId, 'r-1');
  t.is(parsed.password, '[redacted]');
});
