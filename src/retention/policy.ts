import type { Config } from '../platform/config.js';

/**
 * What is kept, for how long, on what legal ground, and what happens at the end:
 * one entry per key of the `retention:` configuration section. The periods are
 * configured; what they count from (`anchor`), the legal minimum and the ground
 * are facts of the law and the product, so they live here, not in the file.
 */

/** A category of data with a retention period of its own. */
export type RetentionCategory = Exclude<keyof Config['retention'], 'cron' | 'batch_size'>;

/** What a period counts from. `year_end`: the end of the calendar year of the data's date. */
export type Anchor = 'year_end' | 'date' | 'end';

/** A parsed period. */
export interface Period {
  n: number;
  unit: 'days' | 'months' | 'years';
}

/** One category as the law and the product see it. */
export interface CategoryPolicy {
  anchor: Anchor;
  /** Shortest period the law allows, if a law sets one. */
  legalMinimum?: string;
  /** Why the data may (or must) be kept. */
  ground: string;
  /** What the retention job does at the end. */
  atEnd: string;
}

/** The catalogue; keys follow config.example.yaml. */
export const CATEGORIES: Readonly<Record<RetentionCategory, CategoryPolicy>> = {
  submitted_days: {
    anchor: 'year_end',
    legalMinimum: '7 years',
    ground: 'fiscal duty to keep records (AWR art. 52)',
    atEnd: 'days, entries, notes and comments deleted; their data keys shredded',
  },
  drafts: {
    anchor: 'date',
    ground: "the employee's own use; storage limitation (GDPR art. 5(1)(e))",
    atEnd: 'draft days and entries deleted; their data keys shredded',
  },
  raw_capture: {
    anchor: 'date',
    ground: "the employee's own review of captured activity",
    atEnd: 'captured events deleted; their data keys shredded',
  },
  audit_events: {
    anchor: 'year_end',
    ground: 'accountability and security of processing (GDPR art. 5(2), 32)',
    atEnd: 'events removed up to a signed checkpoint, which stays as the anchor',
  },
  sign_in_records: {
    anchor: 'end',
    ground: 'security of processing (GDPR art. 32)',
    atEnd: 'ended sessions, used reset links and throttle counters deleted',
  },
  mail_outbox: {
    anchor: 'end',
    ground: 'delivery of notices',
    atEnd: 'delivered or abandoned mails deleted',
  },
  directory_sync_runs: {
    anchor: 'date',
    ground: 'accountability for access granted by directory groups (GDPR art. 5(2))',
    atEnd: 'sync runs and their diffs deleted',
  },
  leavers: {
    anchor: 'end',
    ground: 'answering questions about a former employee’s records',
    atEnd: 'profile (name, mail address, username) erased; the account stays a number for kept records',
  },
  requests: {
    anchor: 'end',
    ground: 'accountability for data-subject requests (GDPR art. 5(2), 12)',
    atEnd: 'request records deleted',
  },
  breaches: {
    anchor: 'end',
    ground: 'documentation of breaches (GDPR art. 33(5))',
    atEnd: 'breach records deleted',
  },
  // Alarm rows of the periodic checks (src/privacy/suspected.ts, operational.ts), counted from clearing.
  alarms: {
    anchor: 'end',
    ground: 'security of processing and detecting breaches (GDPR art. 32, 33); a suspected breach itself stays in the breach register',
    atEnd: 'cleared alarm rows deleted (their breach entries stay); backup runs but the newest deleted',
  },
};

/** Every category, in catalogue order. */
export const CATEGORY_NAMES = Object.keys(CATEGORIES) as RetentionCategory[];

/** Parses "7 years", "12 months", "1 day" (the configuration schema has checked the form). */
export function parsePeriod(text: string): Period {
  const m = /^(\d+) (day|days|month|months|year|years)$/.exec(text);
  if (!m) throw new TypeError(`not a retention period: ${text}`);
  const unit = m[2]!.endsWith('s') ? m[2]! : `${m[2]!}s`;
  return { n: Number(m[1]), unit: unit as Period['unit'] };
}

/** `at` moved back by `period`, in UTC calendar terms (31 March − 1 month = 28/29 February). */
export function subtractPeriod(at: Date, period: Period): Date {
  const d = new Date(at.getTime());
  if (period.unit === 'days') {
    d.setUTCDate(d.getUTCDate() - period.n);
    return d;
  }
  const months = period.unit === 'years' ? period.n * 12 : period.n;
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/**
 * The cutoff of a category at `asOf`: data whose anchor lies before it is due. For a
 * `year_end` category, data of year Y is due when Y < cutoff's UTC year (the whole
 * year Y + period has passed).
 */
export function cutoffFor(retention: Config['retention'], category: RetentionCategory, asOf: Date): Date {
  return subtractPeriod(asOf, parsePeriod(retention[category]));
}

/** Compares two periods by what they reach back from one fixed date (months have no fixed length). */
export function comparePeriods(a: string, b: string): number {
  const ref = new Date(Date.UTC(2030, 0, 31));
  return subtractPeriod(ref, parsePeriod(b)).getTime() - subtractPeriod(ref, parsePeriod(a)).getTime();
}

/** A setting worth naming: shorter than the law allows, or longer than the default (weaker privacy). */
export interface PolicyFinding {
  key: `retention.${RetentionCategory}`;
  kind: 'below_legal_minimum' | 'longer_than_default';
  setting: string;
  /** The legal minimum or the default it is compared with. */
  reference: string;
  message: string;
}

/** Every retention setting below its legal minimum or above its default. */
export function policyFindings(retention: Config['retention'], defaults: Config['retention']): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  for (const category of CATEGORY_NAMES) {
    const setting = retention[category];
    const min = CATEGORIES[category].legalMinimum;
    if (min && comparePeriods(setting, min) < 0) {
      out.push({ key: `retention.${category}`, kind: 'below_legal_minimum', setting, reference: min, message: `${setting} is shorter than the legal minimum of ${min} (${CATEGORIES[category].ground})` });
    }
    if (comparePeriods(setting, defaults[category]) > 0) {
      out.push({ key: `retention.${category}`, kind: 'longer_than_default', setting, reference: defaults[category], message: `${setting} is longer than the default of ${defaults[category]}: data is kept longer than needed (weaker privacy)` });
    }
  }
  return out;
}

/** `at` moved forward by `period` (the inverse of subtractPeriod, same calendar rules). */
export function addPeriod(at: Date, period: Period): Date {
  return subtractPeriod(at, { n: -period.n, unit: period.unit });
}

/**
 * When data with anchor `anchor` becomes due under `setting`: for a `year_end`
 * category, the first instant after its year plus the period; otherwise the anchor
 * plus the period.
 */
export function dueAt(category: RetentionCategory, setting: string, anchor: Date): Date {
  const period = parsePeriod(setting);
  if (CATEGORIES[category].anchor === 'year_end') return addPeriod(new Date(Date.UTC(anchor.getUTCFullYear() + 1, 0, 1)), period);
  return addPeriod(anchor, period);
}
