import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, ValidationError, type FieldProblem } from '../errors.js';
import type { AppContext, AppState } from './context.js';
import { DEFAULT_MAX_STRING_LENGTH, stringProblems } from './input-guard.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Methods whose requests carry a body. */
const BODY_METHODS: ReadonlySet<Method> = new Set(['post', 'put', 'patch']);

/** What a handler receives: the request parts, already validated. */
export interface ApiInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
}

/**
 * What a route needs from its caller, checked before anything the caller sent is
 * validated (who you are before what you sent):
 * - `'anonymous'`: anyone (the API root, sign-in, password reset);
 * - `'partial-session'`: any live session, also one still waiting for its second factor;
 * - `{ session: true }`: a fully signed-in session; `token` opens the route to personal
 *   API tokens carrying that scope; `roles` lets in only holders of one of these roles
 *   (403 for everyone else).
 * Platform knows no roles or scopes; the names are the identity domain's, checked by
 * the authenticator the app gives the registry.
 */
export type RouteAuth =
  | 'anonymous'
  | 'partial-session'
  | { session: true; token?: string; roles?: readonly string[] };

/**
 * Checks a route's requirement against the request (throws 401/403) and may record
 * who is acting in `ctx.state`. Provided by the identity domain at construction.
 */
export type Authenticator = (ctx: AppContext, requirement: Exclude<RouteAuth, 'anonymous'>) => Promise<void> | void;

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
  /** Who may call it; required, so a route cannot forget to say. */
  auth: RouteAuth;
  /** Longest string any field may hold (default 10,000); only for schemas that allow more. */
  maxStringLength?: number;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  response: z.ZodType<R>;
  /** Success status, 200 unless given. */
  status?: number;
  handler: (ctx: AppContext, input: ApiInput<B, Q, P>) => Promise<R> | R;
}

/**
 * The code and values of a zod issue, so a page can word it in its own language
 * (`zod.too_big.string` with `max`, `zod.required`, `zod.format.date`, ...). A message
 * a schema wrote itself is kept as the issue's `params.code` when the schema gave one.
 */
function issueCode(issue: z.core.$ZodIssue): Pick<FieldProblem, 'code' | 'params'> {
  const own = (issue as { params?: { code?: unknown } }).params?.code;
  if (typeof own === 'string') return { code: own };
  switch (issue.code) {
    case 'too_big':
      return { code: `zod.too_big.${issue.origin}`, params: { max: Number(issue.maximum) } };
    case 'too_small':
      return { code: issue.origin === 'string' && Number(issue.minimum) === 1 ? 'zod.required' : `zod.too_small.${issue.origin}`, params: { min: Number(issue.minimum) } };
    case 'invalid_type':
      return { code: /received undefined/.test(issue.message) ? 'zod.required' : `zod.invalid_type.${issue.expected}` };
    case 'invalid_format':
      return { code: `zod.format.${issue.format}` };
    case 'invalid_value':
      return { code: 'zod.invalid_value' };
    default:
      return { code: `zod.${issue.code}` };
  }
}

/** Field problems from a zod error, each with the name of the field it concerns (and a code pages translate). */
export function fieldProblems(error: z.ZodError, prefix?: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...base, key].join('.'), message: 'unknown field', code: 'zod.unknown_field' });
    } else {
      out.push({ field: base.length ? base.join('.') : (prefix ?? 'body'), message: issue.message, ...issueCode(issue) });
    }
  }
  return out;
}

/**
 * Parses a value with a schema or throws 422 naming each bad field. Pages use it with
 * the same schemas as the API, so a form and a JSON call are held to the same rules;
 * `rename` maps schema fields to the form's field names where they differ.
 */
export function validate<T>(schema: z.ZodType<T>, value: unknown, opts: { prefix?: string; rename?: Record<string, string> } = {}): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = fieldProblems(result.error, opts.prefix).map((p) => ({ ...p, field: opts.rename?.[p.field] ?? p.field }));
  throw new ValidationError(problems);
}

/** Validates one part of the request, collecting its problems. */
function check<T>(schema: z.ZodType<T> | undefined, value: unknown, prefix: string | undefined, problems: FieldProblem[]): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...fieldProblems(result.error, prefix));
  return undefined as T;
}

/** A declared route as the route walk and the OpenAPI document see it. */
export interface RouteSummary {
  method: Method;
  path: string;
  operationId: string;
  auth: RouteAuth;
  hasBody: boolean;
  hasQuery: boolean;
}

/**
 * Collects API routes, mounts them on a router and describes them as OpenAPI 3.1.
 * Every request runs the same recipe: authenticate and authorize by the route's
 * declaration → check strings (NUL bytes, length) → validate body, query and path
 * parameters → handler → response schema.
 */
export class ApiRegistry {
  private readonly routes: ApiRoute[] = [];
  private authenticate?: Authenticator;

  /** `authenticate` enforces every declaration other than `'anonymous'` (or see useAuthenticator). */
  constructor(authenticate?: Authenticator) {
    this.authenticate = authenticate;
  }

  /**
   * Sets the authenticator; the identity domain does this when it registers its
   * routes, so platform imports no domain. Only once: nothing may quietly replace it.
   */
  useAuthenticator(authenticate: Authenticator): this {
    if (this.authenticate) throw new Error('The API registry already has an authenticator');
    this.authenticate = authenticate;
    return this;
  }

  /** Declares a route; the generic parameters are inferred from the schemas. */
  add<B, Q, P, R>(route: ApiRoute<B, Q, P, R>): this {
    // The type makes `auth` required; this catches callers that get around it.
    if (!isRouteAuth((route as { auth?: unknown }).auth)) throw new Error(`API route ${route.operationId} declares no valid auth requirement`);
    this.routes.push(route as unknown as ApiRoute);
    return this;
  }

  /** Every declared route, in declaration order. */
  list(): RouteSummary[] {
    return this.routes.map((r) => ({ method: r.method, path: r.path, operationId: r.operationId, auth: r.auth, hasBody: !!r.body, hasQuery: !!r.query }));
  }

  /** Registers every route on the given router (mounted at /api/v1), or on the router `routerFor` picks for its path. */
  mount(router: Router<AppState> | ((path: string) => Router<AppState>)): void {
    const routerFor = typeof router === 'function' ? router : () => router;
    for (const route of this.routes) {
      const authenticate = this.authenticate;
      if (route.auth !== 'anonymous' && !authenticate) throw new Error(`API route ${route.operationId} needs an authenticator`);
      routerFor(route.path)[route.method](route.path, async (ctx) => {
        const c = ctx as unknown as AppContext;
        if (route.auth !== 'anonymous') await authenticate!(c, route.auth);
        // JSON calls that carry a body must say it is JSON (a form post is not an API call).
        if (BODY_METHODS.has(route.method) && c.request.length && !c.is('json')) throw new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json');
        // Body parsing failed (malformed JSON, too large): said only now, after authentication.
        if (c.state.bodyError !== undefined) throw c.state.bodyError;
        const rawBody = (c.request as { body?: unknown }).body ?? {};
        const rawParams = (ctx as unknown as { params: unknown }).params;
        const max = route.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
        const problems: FieldProblem[] = [
          ...stringProblems(rawBody, undefined, max),
          ...stringProblems(c.query, 'query', max),
          ...stringProblems(rawParams, 'path', max),
        ];
        if (problems.length) throw new ValidationError(problems);
        const body = check(route.body, rawBody, undefined, problems);
        const query = check(route.query, c.query, 'query', problems);
        const params = check(route.params, rawParams, 'path', problems);
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
      const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
      if (r.auth !== 'anonymous') responses['401'] = error('Not signed in (checked before the request is validated)');
      if (r.auth !== 'anonymous') responses['403'] = error(typeof r.auth === 'object' && r.auth.roles?.length ? `Needs the role ${r.auth.roles.join(' or ')}; or a token or session step this call does not admit` : 'A personal token or session step this call does not admit');
      const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, tags: r.tags ?? [], parameters, responses, ...securityOf(r.auth) };
      if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body) } } };
      (paths[oaPath] ??= {})[r.method] = op;
    }
    return { openapi: '3.1.0', info, servers: [{ url: '/' }], paths, components: { securitySchemes } };
  }
}

/** How callers prove who they are, as OpenAPI names them. */
const securitySchemes = {
  session: { type: 'apiKey', in: 'cookie', name: '__Host-uurwerk_session', description: 'Session cookie from POST /api/v1/session (plus X-CSRF-Token on changes)' },
  token: { type: 'http', scheme: 'bearer', description: 'Personal API token (only on operations that name its scope)' },
};

/** The OpenAPI security of a route: `security`, `x-auth` and, when role-gated, `x-required-role`. */
function securityOf(auth: RouteAuth): Record<string, unknown> {
  if (auth === 'anonymous') return { security: [], 'x-auth': 'anonymous' };
  if (auth === 'partial-session') return { security: [{ session: [] }], 'x-auth': 'partial-session' };
  const security: unknown[] = [{ session: [] }];
  if (auth.token) security.push({ token: [auth.token] });
  return { security, 'x-auth': 'session', ...(auth.roles?.length ? { 'x-required-role': [...auth.roles] } : {}) };
}

/** Whether a value is a well-formed auth declaration. */
function isRouteAuth(v: unknown): v is RouteAuth {
  if (v === 'anonymous' || v === 'partial-session') return true;
  if (!v || typeof v !== 'object') return false;
  const o = v as { session?: unknown; token?: unknown; roles?: unknown };
  return o.session === true && (o.token === undefined || typeof o.token === 'string') && (o.roles === undefined || Array.isArray(o.roles));
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
