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
  const t = template(sql, kind);
  if (kind === '?' && t.slots.length > values.length) throw new TypeError(`more placeholders than the ${values.length} values`);
  if (kind === '?' && t.slots.length !== values.length) throw new TypeError(`${t.slots.length} placeholders for ${values.length} values`);
  return render(t, (k) => {
    if (k < 0 || k >= values.length) throw new RangeError(`no value for $${k + 1}`);
    const v = values[k];
    return sqlLiteral(v === undefined ? null : (v as SqlLiteral));
  });
}

/** `?` → `$1`, `$2`, … outside quotes and comments (for PREPARE); with the number of placeholders. */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  const t = template(sql, '?');
  return { text: render(t, (k) => `$${k + 1}`), count: t.slots.length };
}

/** How many values a `$n` text takes: its highest `$n`, each of 1…n used (else it throws). */
export function placeholderCount(sql: string): number {
  const used = new Set(template(sql, '$').slots);
  for (let k = 0; k < used.size; k++) if (!used.has(k)) throw new RangeError(`$${k + 1} is not used`);
  return used.size;
}

/**
 * A statement text cut at its placeholders: `chunks[i]` comes before the value of
 * `slots[i]` (0-based; `?` counts up, `$n` names n - 1), the last chunk after all of them.
 */
interface Template {
  chunks: string[];
  slots: number[];
}

/**
 * Scanned texts by kind. The texts are the code's fixed statement shapes (values never
 * travel in them), so the maps stay small; past the bound a text is scanned each time.
 */
const templates = { '?': new Map<string, Template>(), $: new Map<string, Template>() };
const MAX_TEMPLATES = 1000;

function template(sql: string, kind: '?' | '$'): Template {
  const cache = templates[kind];
  let t = cache.get(sql);
  if (!t) {
    t = scan(sql, kind);
    if (cache.size < MAX_TEMPLATES) cache.set(sql, t);
  }
  return t;
}

function render(t: Template, value: (k: number) => string): string {
  let out = t.chunks[0]!;
  for (let i = 0; i < t.slots.length; i++) out += value(t.slots[i]!) + t.chunks[i + 1]!;
  return out;
}

const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z_0-9]*)?\$/y;
const DOLLAR_NUMBER = /\$(\d+)/y;
const WORD = /[\w$]/;

/** The scanner: finds the placeholders outside quoted strings, quoted identifiers, dollar quotes and comments. */
function scan(sql: string, kind: '?' | '$'): Template {
  const chunks: string[] = [];
  const slots: number[] = [];
  let from = 0; // start of the current chunk
  let i = 0;
  const cut = (slot: number, length: number) => {
    chunks.push(sql.slice(from, i));
    slots.push(slot);
    i += length;
    from = i;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'" || c === '"') {
      // '…' with '' inside (and E'…' with backslash escapes), "…" with "" inside.
      const escapes = c === "'" && (sql[i - 1] === 'e' || sql[i - 1] === 'E') && !WORD.test(sql[i - 2] ?? '');
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
    } else if (c === '$' && !WORD.test(sql[i - 1] ?? '')) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close < 0 ? sql.length + 1 : close + tag[0].length;
      } else if (kind === '$') {
        DOLLAR_NUMBER.lastIndex = i;
        const n = DOLLAR_NUMBER.exec(sql);
        if (n) {
          cut(Number(n[1]) - 1, n[0].length);
          continue;
        }
      }
    } else if (c === '?' && kind === '?') {
      cut(slots.length, 1);
      continue;
    }
    if (end > sql.length) throw new SyntaxError('unbalanced quote or comment in a statement to fill');
    i = end >= 0 ? end : i + 1;
  }
  chunks.push(sql.slice(from));
  return { chunks, slots };
}
