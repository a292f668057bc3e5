import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import type { AppState } from '../platform/http/context.js';
import { codeRoot } from '../platform/paths.js';

/** The web layer's assets, served under /static (copied into dist by `npm run build`). */
export const staticDir = path.join(codeRoot, 'src', 'web', 'static');

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Serves the files of one directory under /static. The directory is read once at
 * start into a fixed table, so no request path ever reaches the file system
 * (no traversal), and every asset comes from the appliance itself.
 */
export function staticFiles(dir: string, prefix = '/static/'): Middleware<AppState> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    files.set(prefix + name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return async (ctx, next) => {
    if (!ctx.path.startsWith(prefix)) return next();
    const file = files.get(ctx.path);
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('ETag', file.etag);
    ctx.set('Cache-Control', 'public, max-age=3600');
    if (ctx.get('If-None-Match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
