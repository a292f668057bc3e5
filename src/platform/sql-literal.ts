import pg from 'pg';

/** Values written into SQL text as literals (one-trip reads, a BEGIN carried with the first statement). */

/** A value a one-trip statement may carry (written in as a quoted literal; a list as an array literal). */
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
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v !== 'string') throw new TypeError(`not a literal: ${typeof v}`);
  if (v.includes('\0')) throw new TypeError('a literal may not hold a NUL character');
  return pg.escapeLiteral(v);
}
