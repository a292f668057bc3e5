import type { Context, Middleware } from 'koa';
import type { AppState } from '../platform/http/context.js';

/** The slot each admitted agent request holds, by request, until it leaves or gives it up. */
const slots = new WeakMap<object, () => void>();

/**
 * Admission for capture agents (issue 17): at most `limit` requests of the
 * ActivityWatch API (`/api/v1/aw/…`) are worked on at once; the others wait their turn
 * in arrival order before authentication, without costing CPU. Node serves requests on
 * one thread: with 500 agents in flight, every step of a person's page queued behind
 * hundreds of heartbeat steps. Waiting agents keep their connection and are answered
 * in turn. A heartbeat gives up its slot once it waits in its lane for the group
 * commit (after any day-key warm-up; `awaitingCommit`): waiting for the disk costs no
 * CPU, and the commit groups every heartbeat queued meanwhile, as many as without a
 * limit. Its answer, once committed, is written outside the limit (a small step).
 */
export function agentGate(limit: number, prefix = '/api/v1/aw/'): Middleware<AppState> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (ctx, next) => {
    // Case-insensitive, as the routes are matched.
    if (ctx.path.length < prefix.length || ctx.path.slice(0, prefix.length).toLowerCase() !== prefix) return next();
    if (active < limit) active++;
    else {
      ctx.state.receivedAt = process.hrtime.bigint(); // the access log's time counts the wait
      await new Promise<void>((resolve) => waiting.push(resolve)); // the slot passes from the one leaving
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      slots.delete(ctx);
      leave();
    };
    slots.set(ctx, release);
    try {
      await next();
    } finally {
      release();
    }
  };
}

/** Gives up the request's agent slot, if it holds one (a heartbeat queued for its commit). */
export function awaitingCommit(ctx: Context | object): void {
  slots.get(ctx)?.();
}
