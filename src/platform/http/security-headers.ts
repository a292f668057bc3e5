import type { Middleware } from 'koa';
import type { AppState } from './context.js';

/**
 * A strict CSP: everything from our own origin, no inline script or style, no
 * framing, no plugins. Pages load only /static assets served by the app itself.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets the security headers on every response, including errors and 404s. */
export function securityHeaders(opts: { hsts: boolean }): Middleware<AppState> {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    // same-origin: nothing leaks to other sites, and same-origin form posts keep their Origin.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    if (opts.hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    try {
      await next();
    } finally {
      // Nothing dynamic is kept by browsers, back/forward caches or proxies: pages show time
      // data and personal details, so they get the same no-store as the API. Only a handler that
      // sets its own policy (the static assets, which hold nothing personal) may be cached.
      if (ctx.path.startsWith('/api/') || !ctx.response.get('Cache-Control')) {
        ctx.set('Cache-Control', 'no-store');
      }
    }
  };
}
