/**
 * An employee's capture settings as the ingest path applies them: pause, and
 * exclusions by app, window title or URL pattern. Patterns are case-insensitive
 * wildcards (`*` any run of characters, everything else literal), never regular
 * expressions: an employee's pattern must not be able to stall the ingest path.
 * A pattern without `*` matches anywhere in the field (`bank` excludes "My bank -
 * Firefox"). Applied before anything is stored, so an excluded event leaves nothing.
 */

/** Which field of an event's data a pattern looks at. */
export type ExclusionField = 'app' | 'title' | 'url';

/** One exclusion as the employee keeps it. */
export interface Exclusion {
  field: ExclusionField;
  pattern: string;
}

/** What the ingest path needs of an employee's settings. */
export interface CaptureRules {
  paused: boolean;
  exclusions: Exclusion[];
}

/** Nothing excluded, capture on. */
export const DEFAULT_RULES: CaptureRules = { paused: false, exclusions: [] };

/** A compiled rule set: `drops(data)` says whether an event with this data is kept out. */
export interface CompiledRules {
  paused: boolean;
  drops(data: Record<string, unknown>): boolean;
}

/** A case-insensitive wildcard pattern (`*` any run; without `*`, matches anywhere). */
export function wildcard(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(pattern.includes('*') ? `^${body}$` : body, 'is');
}

/** Compiles the rules once per settings version (the ingest path caches the result). */
export function compileRules(rules: CaptureRules): CompiledRules {
  const tests = rules.exclusions.map((e) => ({ field: e.field, re: wildcard(e.pattern) }));
  return {
    paused: rules.paused,
    drops(data) {
      if (rules.paused) return true;
      for (const { field, re } of tests) {
        const v = data[field];
        if (typeof v === 'string' && re.test(v)) return true;
      }
      return false;
    },
  };
}
