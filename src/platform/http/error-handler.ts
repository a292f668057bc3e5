import type { Middleware } from 'koa';
import { AppError, fromOverloadError, fromPostgresError } from '../errors.js';
import type { AppContext, AppState } from './context.js';

/** The one error body shape of the JSON API. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id: string };
}

/** Renders an error for a browser (the error itself lets a page word it in its language); the web layer provides it. */
export type ErrorPageRenderer = (ctx: AppContext, status: number, message: string, err?: AppError) => void;

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
  headers?: Record<string, string>;
}

/**
 * Errors from koa/co-body/router carry `status` and `expose`; turn them into AppErrors.
 * Their messages are not passed on: a parser message can quote the input or name
 * internals, so each status gets a short message of our own that names the problem.
 */
function classify(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const overload = fromOverloadError(err);
  if (overload) return overload;
  const pg = fromPostgresError(err);
  if (pg) return pg;
  const e = err as HttpishError;
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || (status >= 500 && status !== 501)) return undefined;
  switch (status) {
    case 400:
      if (e.type === 'entity.parse.failed' || /JSON/i.test(e.message ?? '')) {
        return new AppError(400, 'malformed_json', 'Request body is not valid JSON');
      }
      if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
        return new AppError(400, 'bad_encoding', 'Request body must be UTF-8');
      }
      return new AppError(400, 'bad_request', 'The request could not be read');
    case 405:
      return new AppError(405, 'method_not_allowed', 'Method not allowed');
    case 413:
      return new AppError(413, 'payload_too_large', 'Request body is too large');
    case 501:
      return new AppError(501, 'not_implemented', 'Method not implemented');
    case 415:
      return new AppError(415, 'unsupported_media_type', 'Unsupported content type');
    default:
      return new AppError(status, 'http_error', 'Request failed');
  }
}

/**
 * The error as it goes into the log. A PostgreSQL error's `detail` and `where` can
 * quote row values (`Key (name)=(...)`), which are personal data; the log keeps what
 * an operator needs to find the fault (code, message, table, column, constraint, stack).
 */
function forLog(err: unknown): unknown {
  const e = err as { code?: unknown; detail?: unknown; message?: string; stack?: string; table?: string; column?: string; constraint?: string; routine?: string };
  if (!(err instanceof Error) || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || (e.detail === undefined && (e as { where?: unknown }).where === undefined)) return err;
  return { type: err.name, code: e.code, message: e.message, table: e.table, column: e.column, constraint: e.constraint, routine: e.routine, stack: e.stack };
}

/** The answer for an error whose message must not be shown: generic, naming the request id. */
function concealed(status: number, code: string, requestId: string): AppError {
  const what = status === 500 ? 'Internal error' : 'The server could not complete the request';
  const message = `${what}; quote request id ${requestId} to the operator`;
  return status === 500 ? new AppError(500, 'internal_error', message) : new AppError(status, code, message);
}

/**
 * The one error middleware (house style): maps error classes and PostgreSQL codes to
 * statuses. It honours `expose`: 4xx messages reach the caller; a 5xx reaches it only
 * when deliberately exposed (a 503 asking to retry). Anything else — unknown errors,
 * SQL, decryption failures — answers with a generic message and the request id, and
 * the real error is logged on a line carrying the same request id.
 */
export function errorHandler(renderPage: ErrorPageRenderer): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The routers answer 405/501 by status and an Allow header; give them our body.
        if (ctx.status === 404) throw new AppError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405) throw new AppError(405, 'method_not_allowed', `${ctx.method} is not allowed here; allowed: ${ctx.response.get('Allow')}`);
        if (ctx.status === 501) throw new AppError(501, 'not_implemented', `${ctx.method} is not implemented`);
      }
    } catch (err) {
      const requestId = ctx.state.requestId;
      let appErr = classify(err);
      if (!appErr) {
        ctx.state.log?.error({ err: forLog(err), requestId }, 'unhandled error');
        appErr = concealed(500, 'internal_error', requestId);
      } else if (appErr.status >= 500 && !appErr.expose) {
        ctx.state.log?.error({ err: forLog(err), requestId }, 'server-side failure');
        appErr = concealed(appErr.status, appErr.code, requestId);
      } else if (appErr.status >= 500) {
        ctx.state.log?.warn({ err, requestId }, 'server-side failure');
      }
      const headers = appErr.headers ?? (err as HttpishError)?.headers;
      if (headers) for (const [k, v] of Object.entries(headers)) if (/^(allow|retry-after)$/i.test(k)) ctx.set(k, v);
      ctx.status = appErr.status;
      if (wantsHtml(ctx)) {
        renderPage(ctx, appErr.status, appErr.message, appErr);
        return;
      }
      const body: ErrorBody = {
        error: { code: appErr.code, message: appErr.message, request_id: requestId },
      };
      if (appErr.details !== undefined) body.error.details = appErr.details;
      ctx.body = body;
    }
  };
}

function wantsHtml(ctx: AppContext): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path === '/healthz' || ctx.path === '/readyz') return false;
  return ctx.accepts('json', 'html') === 'html';
}
