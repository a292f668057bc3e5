import test from 'ava';
import { addMonths, breachClocks, dueBreachStep, dueRequestStep, effectiveDeadline, requestDeadlines, stepsThrough } from '../../src/privacy/deadlines.js';

test('one calendar month from receipt: 31 January ends on the last day of February, leap years counted', (t) => {
  t.is(requestDeadlines('2026-01-31').legal, '2026-02-28');
  t.is(requestDeadlines('2028-01-31').legal, '2028-02-29');
  t.is(requestDeadlines('2028-01-29').legal, '2028-02-29');
  t.is(requestDeadlines('2026-01-29').legal, '2026-02-28');
  t.is(requestDeadlines('2026-01-15').legal, '2026-02-15');
  t.is(requestDeadlines('2026-03-31').legal, '2026-04-30');
  t.is(requestDeadlines('2026-02-28').legal, '2026-03-28');
  t.is(requestDeadlines('2028-02-29').legal, '2028-03-29');
});

test('month ends across the year and the extension by two further months', (t) => {
  t.is(requestDeadlines('2026-12-31').legal, '2027-01-31');
  t.is(requestDeadlines('2026-12-15').legal, '2027-01-15');
  t.is(requestDeadlines('2026-01-31').extended, '2026-04-30');
  t.is(requestDeadlines('2027-11-30').extended, '2028-02-29');
  t.is(requestDeadlines('2026-11-30').extended, '2027-02-28');
  t.is(effectiveDeadline('2026-01-31', false), '2026-02-28');
  t.is(effectiveDeadline('2026-01-31', true), '2026-04-30');
  t.is(addMonths('2026-10-31', 4), '2027-02-28');
});

test('the internal target is 28 days, also over a leap day and a year end', (t) => {
  t.is(requestDeadlines('2028-02-10').internal, '2028-03-09');
  t.is(requestDeadlines('2026-02-10').internal, '2026-03-10');
  t.is(requestDeadlines('2026-12-20').internal, '2027-01-17');
});

test('reminder steps: 7, 3 and 1 days before, overdue from the day after the deadline', (t) => {
  t.is(dueRequestStep('2026-02-28', '2026-02-20'), null);
  t.is(dueRequestStep('2026-02-28', '2026-02-21'), 'd7');
  t.is(dueRequestStep('2026-02-28', '2026-02-25'), 'd3');
  t.is(dueRequestStep('2026-02-28', '2026-02-27'), 'd1');
  t.is(dueRequestStep('2026-02-28', '2026-02-28'), 'd1');
  t.is(dueRequestStep('2026-02-28', '2026-03-01'), 'overdue');
  t.is(dueRequestStep('2028-02-29', '2028-02-22'), 'd7');
  t.deepEqual(stepsThrough('d3'), ['d7', 'd3']);
});

test('breach clocks: 24 hours for the internal notice, 72 for the authority; reminder in the last 24 hours', (t) => {
  const aware = new Date('2028-02-28T10:00:00Z');
  t.is(breachClocks(aware).internalDue.toISOString(), '2028-02-29T10:00:00.000Z');
  t.is(breachClocks(aware).authorityDue.toISOString(), '2028-03-02T10:00:00.000Z');
  t.is(dueBreachStep(aware, new Date('2028-03-01T09:59:59Z')), null);
  t.is(dueBreachStep(aware, new Date('2028-03-01T10:00:00Z')), 'h24');
  t.is(dueBreachStep(aware, new Date('2028-03-02T10:00:00Z')), 'overdue');
});
