import type { FieldProblem } from '../errors.js';
import { ValidationError } from '../errors.js';
import type { AppContext } from './context.js';

/**
 * Checks every string a request carries before any schema or database sees it.
 * PostgreSQL refuses a NUL byte in text (it would surface as a 500), and a string
 * longer than any field needs only costs memory and log space; both answer 422
 * naming the field. Routes whose schema allows longer strings (a CSV import) say so.
 */

/**
 * The longest string a request may carry unless its route allows more: a string of
 * 10,000 characters or more is refused (no field of the appliance needs that much,
 * and the longest free text, a return comment, is capped at 2,000 by its schema).
 */
export const DEFAULT_MAX_STRING_LENGTH = 9_999;

/** How deep nested input is walked; deeper structures are refused. */
const MAX_DEPTH = 16;

/** Problems with the strings in one part of a request (body, query, path), each naming its field. */
export function stringProblems(value: unknown, prefix: string | undefined, maxLength = DEFAULT_MAX_STRING_LENGTH): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (v: unknown, path: string[], depth: number): void => {
    const field = () => [prefix, ...path].filter(Boolean).join('.') || (prefix ?? 'body');
    if (depth > MAX_DEPTH) {
      problems.push({ field: field(), message: 'is nested too deeply', code: 'input.nested' });
      return;
    }
    if (typeof v === 'string') {
      if (v.includes('\u0000')) problems.push({ field: field(), message: 'must not contain NUL bytes', code: 'input.nul' });
      else if (v.length > maxLength) problems.push({ field: field(), message: `is too long (at most ${maxLength} characters)`, code: 'input.too_long', params: { max: maxLength } });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)], depth + 1));
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000') || k.length > 256) {
          problems.push({ field: [prefix, ...path].filter(Boolean).join('.') || (prefix ?? 'body'), message: 'has a field name that is not allowed', code: 'input.field_name' });
          continue;
        }
        walk(item, [...path, k], depth + 1);
      }
    }
  };
  walk(value, [], 0);
  return problems;
}

/**
 * Throws the body parser's error (400 malformed, 413 too large), held back until the
 * caller was authenticated, then 422 when the form or JSON body, query string or path
 * parameters hold a NUL byte or an over-long string. Page handlers call it after
 * authentication; the API registry does the same for every JSON route.
 */
export function assertCleanInput(ctx: AppContext, opts: { maxLength?: number } = {}): void {
  if (ctx.state.bodyError !== undefined) throw ctx.state.bodyError;
  const params = (ctx as unknown as { params?: unknown }).params;
  const problems = [
    ...stringProblems((ctx.request as { body?: unknown }).body, undefined, opts.maxLength),
    ...stringProblems(ctx.query, 'query', opts.maxLength),
    ...stringProblems(params, 'path', opts.maxLength),
  ];
  if (problems.length) throw new ValidationError(problems);
}
