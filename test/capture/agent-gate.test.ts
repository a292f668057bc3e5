import test from 'ava';
import type Koa from 'koa';
import { agentGate } from '../../src/capture/agent-gate.js';
import type { AppState } from '../../src/platform/http/context.js';
import { parseConfig } from '../../src/platform/config.js';

/**
 * capture.agents_at_once: at most N agent requests are worked on at once, the rest are
 * admitted in arrival order as slots free up (also after a request that failed), and
 * requests outside the agent API never wait.
 */

type Ctx = Koa.ParameterizedContext<AppState>;
const ctx = (path: string) => ({ path, state: {} }) as unknown as Ctx;

test('at most N agent requests run at once, the rest in arrival order; other paths pass at once; a failure frees its slot', async (t) => {
  const gate = agentGate(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const release: Array<() => void> = [];
  const run = (i: number, fail = false) =>
    gate(ctx('/api/v1/aw/api/0/buckets/b/heartbeat'), async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      if (fail) throw new Error(`request ${i} failed`);
    });
  const all = [run(0, true), run(1), run(2), run(3), run(4)];
  await new Promise((r) => setImmediate(r));
  t.deepEqual(started, [0, 1], 'two admitted, three waiting');

  let pagesRan = false;
  await gate(ctx('/api/v1/me/days/2026-12-01'), async () => {
    pagesRan = true;
  });
  t.true(pagesRan, 'a page request does not wait behind the agents');

  while (started.length < 5 || release.length) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  const outcomes = await Promise.allSettled(all);
  t.is(outcomes[0]!.status, 'rejected');
  t.true(outcomes.slice(1).every((o) => o.status === 'fulfilled'));
  t.deepEqual(started, [0, 1, 2, 3, 4], 'admitted in arrival order');
  t.is(most, 2);
});

test('the gate matches the agent API as the routes do (any case), and a held request carries when it arrived for the access log', async (t) => {
  const gate = agentGate(1);
  let release!: () => void;
  const first = gate(ctx('/api/v1/aw/api/0/info'), () => new Promise<void>((r) => (release = r)));
  await new Promise((r) => setImmediate(r));
  const held = ctx('/API/V1/AW/api/0/info');
  let ran = false;
  const second = gate(held, async () => {
    ran = true;
  });
  await new Promise((r) => setImmediate(r));
  t.false(ran, 'the upper-case path waits like any agent request');
  t.is(typeof held.state.receivedAt, 'bigint');
  release();
  await Promise.all([first, second]);
  t.true(ran);
});

test('capture.agents_at_once defaults to no limit and refuses a negative count by name', (t) => {
  t.is(parseConfig({}, 'test').capture.agents_at_once, 0);
  t.is(parseConfig({ capture: { agents_at_once: 64 } }, 'test').capture.agents_at_once, 64);
  const err = t.throws(() => parseConfig({ capture: { agents_at_once: -1 } }, 'test'));
  t.regex(err!.message, /capture\.agents_at_once/);
});
