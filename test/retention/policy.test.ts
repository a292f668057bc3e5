import test from 'ava';
import { parseConfig } from '../../src/platform/config.js';
import { CATEGORY_NAMES, comparePeriods, cutoffFor, parsePeriod, policyFindings, subtractPeriod } from '../../src/retention/policy.js';

const defaults = parseConfig({}).retention;

test('every category of the configuration has its policy, and the defaults raise no finding', (t) => {
  const keys = Object.keys(defaults).filter((k) => k !== 'cron' && k !== 'batch_size').sort();
  t.deepEqual([...CATEGORY_NAMES].sort(), keys);
  t.deepEqual(policyFindings(defaults, defaults), []);
});

test('periods parse in singular and plural and compare by calendar', (t) => {
  t.deepEqual(parsePeriod('1 year'), { n: 1, unit: 'years' });
  t.deepEqual(parsePeriod('30 days'), { n: 30, unit: 'days' });
  t.true(comparePeriods('7 years', '84 months') === 0);
  t.true(comparePeriods('6 years', '7 years') < 0);
  t.true(comparePeriods('400 days', '12 months') > 0);
});

test('a month back from the 31st lands on the last day of a shorter month, leap years counted', (t) => {
  t.is(subtractPeriod(new Date('2024-03-31T10:00:00Z'), parsePeriod('1 month')).toISOString(), '2024-02-29T10:00:00.000Z');
  t.is(subtractPeriod(new Date('2023-03-31T10:00:00Z'), parsePeriod('1 month')).toISOString(), '2023-02-28T10:00:00.000Z');
  t.is(subtractPeriod(new Date('2024-02-29T00:00:00Z'), parsePeriod('1 year')).toISOString(), '2023-02-28T00:00:00.000Z');
});

test('a day of 2019 kept 7 years from the end of its year is due in 2027, not before', (t) => {
  t.is(cutoffFor(defaults, 'submitted_days', new Date('2026-12-31T23:59:59Z')).getUTCFullYear(), 2019); // 2019 < 2019: not due
  t.is(cutoffFor(defaults, 'submitted_days', new Date('2027-01-01T00:00:00Z')).getUTCFullYear(), 2020); // 2019 < 2020: due
});

test('a period below the legal minimum and one longer than the default are both named with their key', (t) => {
  const retention = parseConfig({ retention: { submitted_days: '5 years', drafts: '2 years' } }).retention;
  const findings = policyFindings(retention, defaults);
  t.deepEqual(findings.map((f) => [f.key, f.kind]), [
    ['retention.submitted_days', 'below_legal_minimum'],
    ['retention.drafts', 'longer_than_default'],
  ]);
  t.regex(findings[0]!.message, /AWR art\. 52/);
});

test('a malformed period names its key', (t) => {
  const err = t.throws(() => parseConfig({ retention: { drafts: '12 moons', sign_in_records: 30 } }));
  t.regex(err!.message, /retention\.drafts: must be a period/);
  t.regex(err!.message, /retention\.sign_in_records/);
});

test('next due: a year_end category is due on 1 January after its year plus the period; others from their date', async (t) => {
  const { dueAt, addPeriod } = await import('../../src/retention/policy.js');
  t.is(dueAt('submitted_days', '7 years', new Date('2019-03-05T10:00:00Z')).toISOString(), '2027-01-01T00:00:00.000Z');
  t.is(dueAt('mail_outbox', '30 days', new Date('2026-01-10T08:00:00Z')).toISOString(), '2026-02-09T08:00:00.000Z');
  t.is(addPeriod(new Date('2024-01-31T00:00:00Z'), parsePeriod('1 month')).toISOString(), '2024-02-29T00:00:00.000Z');
});
