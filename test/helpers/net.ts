import { createServer } from 'node:net';

/** Ports this process has handed out; never handed out twice, so two servers of one test cannot collide. */
const handedOut = new Set<number>();

async function askTheOs(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A TCP port on 127.0.0.1 that the OS handed out a moment ago, for a server in
 * another process (a child `uurwerk serve`, an embedded PostgreSQL) that must be
 * told its port before it starts. In-process servers listen on port 0 instead.
 * Keep the number for the test's life: this process never hands it out again.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await askTheOs();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('the OS kept handing out ports this process already uses');
}
