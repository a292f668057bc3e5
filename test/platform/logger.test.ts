import { Writable } from 'node:stream';
import test from 'ava';
import Koa from 'koa';
import { requestContext } from '../../src/platform/http/request-context.js';
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

test('request log lines carry the client address; forwarding headers count only from trusted proxies', async (t) => {
  const run = async (trusted: string[]) => {
    const { lines, logger } = capture();
    const app = new Koa({ proxy: trusted.length > 0 });
    app.use(requestContext(logger, trusted));
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, forwardedProto: ctx.get('x-forwarded-proto') };
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    t.teardown(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.9', 'x-forwarded-proto': 'https' } });
    const body = (await res.json()) as { ip: string; forwardedProto: string };
    const line = JSON.parse(lines.find((l) => l.includes('"request"'))!) as { client: string };
    return { body, client: line.client };
  };
  const untrusted = await run([]);
  t.is(untrusted.client, '127.0.0.1', 'a spoofed X-Forwarded-For from an untrusted peer is ignored');
  t.is(untrusted.body.ip, '127.0.0.1');
  t.is(untrusted.body.forwardedProto, '', 'and dropped before anything else reads it');
  const trusted = await run(['127.0.0.1']);
  t.is(trusted.client, '198.51.100.9', 'behind a trusted proxy: the rightmost untrusted hop');
  t.is(trusted.body.ip, '198.51.100.9');
  t.is(trusted.body.forwardedProto, 'https');
});
