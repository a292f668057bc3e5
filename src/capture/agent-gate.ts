import type { Middleware } from 'koa';
import type { AppState } from '../platform/http/context.js';
import { startsWithPath } from '../platform/http/path-prefix.js';

/** Where the ActivityWatch agent API lives (src/capture/routes.ts mounts it under /api/v1). */
export const AGENT_API_PREFIX = '/api/v1/aw/';

/**
 * Admission for capture agents (issue 17): at most `limit` requests of the
 * ActivityWatch API (`/api/v1/aw/…`) are worked on at once; the others wait their turn
 * in arrival order before authentication, without costing CPU. Node serves requests on
 * one thread: with 500 agents in flight, every step of a person's page queued behind
 * hundreds of heartbeat steps. Waiting agents keep their connection and are answered
 * in turn. It runs before anything else works on the request (an admission step), so
 * a held agent costs nothing until let through. A heartbeat keeps its slot while it
 * waits for its group commit: giving it up there (tried) let as many agents in as
 * without a limit, and with them the same CPU load and the same interactive latency.
 */
export function agentGate(limit: number, prefix = AGENT_API_PREFIX): Middleware<AppState> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (ctx, next) => {
    if (!startsWithPath(ctx.path, prefix)) return next();
    if (active < limit) active++;
    else {
      ctx.state.receivedAt = process.hrtime.bigint(); // the access log's time counts the wait
      await new Promise<void>((resolve) => waiting.push(resolve)); // the slot passes from the one leaving
    }
    try {
      await next();
    } finally {
      leave();
    }
  };
}
