import pg from 'pg';

/**
 * Values written into SQL text as literals (one-trip reads, a BEGIN carried with the
 * first statement): the simple protocol takes no parameters. Every value becomes a
 * quoted literal of unknown type, as node-postgres sends a parameter as untyped text,
 * so a cast in the statement (`?::uuid`) types it the same way either way; NULL stays
 * NULL. Placeholders are found by a scanner that skips quoted strings, quoted
 * identifiers, dollar-quoted strings and comments, so a `?` or `$1` inside them is
 * never replaced, and unbalanced quoting is refused.
 */

/** A value a one-trip statement may carry (a list of text becomes an array literal). */
export type SqlLiteral = string | number | boolean | null | readonly string[];

/** One value as SQL literal text. */
export function sqlLiteral(v: SqlLiteral): string {
  if (v === null) return 'NULL';
  if (Array.isArray(v)) {
    // The array's text form, every element double-quoted (backslash and double quote escaped), then quoted as one literal.
    const items = v.map((x: unknown) => {
      if (typeof x !== 'string') throw new TypeError(`not a text array element: ${typeof x}`);
      return `"${x.replace(/[\\"]/g, '\\$&')}"`;
    });
    return sqlLiteral(`{${items.join(',')}}`);
  }
  if (typeof v === 'boolean') return v ? `'true'` : `'false'`;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`not a finite number: ${v}`);
    return `'${String(v)}'`;
  }
  if (typeof v !== 'string') throw new TypeError(`not a literal: ${typeof v}`);
  if (v.includes('\0')) throw new TypeError('a literal may not hold a NUL character');
  return pg.escapeLiteral(v);
}

/**
 * Replaces each placeholder outside quotes and comments by its value as a literal:
 * `?` (`kind: '?'`, the i-th gets the i-th value) or `$n` (`kind: '$'`, the n-th value).
 * Throws when the counts do not match or quoting is unbalanced.
 */
export function fillPlaceholders(sql: string, kind: '?' | '$', values: readonly unknown[]): string {
  const lit = (v: unknown) => sqlLiteral(v === undefined ? null : (v as SqlLiteral));
  const { text, count } = mapPlaceholders(sql, kind, values.length, (k) => lit(values[k]));
  if (kind === '?' && count !== values.length) throw new TypeError(`${count} placeholders for ${values.length} values`);
  return text;
}

/** `?` → `$1`, `$2`, … outside quotes and comments (for PREPARE); with the number of placeholders. */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  return mapPlaceholders(sql, '?', Infinity, (k) => `$${k + 1}`);
}

/** The scanner behind both: `render(k)` for the placeholder of the k-th value (0-based). */
function mapPlaceholders(sql: string, kind: '?' | '$', max: number, render: (k: number) => string): { text: string; count: number } {
  let out = '';
  let i = 0;
  let used = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'" || c === '"') {
      // '…' with '' inside (and E'…' with backslash escapes), "…" with "" inside.
      const escapes = c === "'" && /[eE]$/.test(sql.slice(0, i)) && !/[\w$]/.test(sql[i - 2] ?? '');
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (escapes && sql[j] === '\\') j++;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j++;
          else break;
        }
      }
      end = j + 1;
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length + 1 : nl;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length + 1 : close + 2;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length + 1 : close + tag[0].length;
      } else if (kind === '$') {
        const n = /^\$(\d+)/.exec(sql.slice(i));
        if (n) {
          const k = Number(n[1]);
          if (k < 1 || k > max) throw new RangeError(`no value for $${k}`);
          out += render(k - 1);
          used = Math.max(used, k);
          i += n[0].length;
          continue;
        }
      }
    } else if (c === '?' && kind === '?') {
      if (used >= max) throw new TypeError(`more placeholders than the ${max} values`);
      out += render(used++);
      i++;
      continue;
    }
    if (end > sql.length) throw new SyntaxError('unbalanced quote or comment in a statement to fill');
    if (end >= 0) {
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return { text: out, count: used };
}
