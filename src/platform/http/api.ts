import type Router from '@koa/router';
import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../errors.js';
import type { AppContext, AppState } from './context.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler receives: the request parts, already validated. */
export interface ApiInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
}

/**
 * One JSON API operation. The request *and* response schemas are declared here
 * (Logto's koa-guard, house style): the request is validated before the handler
 * runs, and the handler's result is parsed through the response schema, so fields
 * nobody declared never leave the server. The OpenAPI document is built from the
 * same declarations.
 */
export interface ApiRoute<B = unknown, Q = unknown, P = unknown, R = unknown> {
  method: Method;
  /** Path below /api/v1, in koa syntax (`/things/:id`). */
  path: string;
  operationId: string;
  summary: string;
  tags?: string[];
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  response: z.ZodType<R>;
  /** Success status, 200 unless given. */
  status?: number;
  handler: (ctx: AppContext, input: ApiInput<B, Q, P>) => Promise<R> | R;
}

/** Field problems from a zod error, each with the name of the field it concerns. */
export function fieldProblems(error: z.ZodError, prefix?: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...base, key].join('.'), message: 'unknown field' });
    } else {
      out.push({ field: base.length ? base.join('.') : (prefix ?? 'body'), message: issue.message });
    }
  }
  return out;
}

/** Validates one part of the request, collecting its problems. */
function check<T>(schema: z.ZodType<T> | undefined, value: unknown, prefix: string | undefined, problems: FieldProblem[]): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...fieldProblems(result.error, prefix));
  return undefined as T;
}

/** Collects API routes, mounts them on a router and describes them as OpenAPI 3.1. */
export class ApiRegistry {
  private readonly routes: ApiRoute[] = [];

  /** Declares a route; the generic parameters are inferred from the schemas. */
  add<B, Q, P, R>(route: ApiRoute<B, Q, P, R>): this {
    this.routes.push(route as unknown as ApiRoute);
    return this;
  }

  /** Registers every route on the given router (mounted at /api/v1). */
  mount(router: Router<AppState>): void {
    for (const route of this.routes) {
      router[route.method](route.path, async (ctx) => {
        const c = ctx as unknown as AppContext;
        const problems: FieldProblem[] = [];
        const body = check(route.body, (c.request as { body?: unknown }).body ?? {}, undefined, problems);
        const query = check(route.query, c.query, 'query', problems);
        const params = check(route.params, (ctx as unknown as { params: unknown }).params, 'path', problems);
        if (problems.length) throw new ValidationError(problems);
        const result = await route.handler(c, { body, query, params });
        c.status = route.status ?? 200;
        c.body = route.status === 204 ? null : route.response.parse(result);
      });
    }
  }

  /** The OpenAPI document for every declared route. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const errorSchema = toSchema(errorBodySchema);
    for (const r of this.routes) {
      const oaPath = '/api/v1' + r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [['query', r.query], ['path', r.params]] as const) {
        if (!schema) continue;
        const js = toSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, s] of Object.entries(js.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
        }
      }
      const status = String(r.status ?? 200);
      const responses: Record<string, unknown> = {
        [status]: status === '204' ? { description: 'No content' } : { description: 'Success', content: { 'application/json': { schema: toSchema(r.response, 'output') } } },
        default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
      };
      const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, tags: r.tags ?? [], parameters, responses };
      if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body) } } };
      (paths[oaPath] ??= {})[r.method] = op;
    }
    return { openapi: '3.1.0', info, servers: [{ url: '/' }], paths };
  }
}

function toSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}

/** The error body every failing API call returns. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    request_id: z.string(),
  }),
});
