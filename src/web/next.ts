import type { AppContext } from '../platform/http/context.js';

const BASE = 'http://uurwerk.invalid';

/**
 * The page to return to after sign-in, if `value` is a same-origin relative path
 * (`/timesheets?week=...`); anything else — another host, `//host`, `/\host`, a
 * scheme, control characters — is refused (undefined), so sign-in is no open redirect.
 */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 1000) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  try {
    const u = new URL(value, BASE);
    if (u.origin !== BASE) return undefined;
    return u.pathname + u.search + u.hash;
  } catch {
    return undefined;
  }
}

/** Where a page that needs a session sends a visitor: sign-in, returning to this page (GET only). */
export function signInUrl(ctx: AppContext): string {
  const back = ctx.method === 'GET' ? safeNext(ctx.originalUrl) : undefined;
  return back && back !== '/' ? `/sign-in?next=${encodeURIComponent(back)}` : '/sign-in';
}

/** `path` with the return page carried along as `?next=` (or unchanged when there is none). */
export function withNext(path: string, next: string | undefined): string {
  return next ? `${path}${path.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}` : path;
}
