import test from 'ava';
import { daySpan, startOfDay } from '../../src/timesheets/tz.js';

test('day spans in a named zone: 23 and 25 hours on the daylight-saving changes, 24 otherwise (pure)', (t) => {
  t.is(daySpan('2026-03-29', 'Europe/Amsterdam').minutes, 1380);
  t.is(daySpan('2026-10-25', 'Europe/Amsterdam').minutes, 1500);
  t.is(daySpan('2026-06-01', 'Europe/Amsterdam').minutes, 1440);
  t.is(startOfDay('2026-06-01', 'Europe/Amsterdam').toISOString(), '2026-05-31T22:00:00.000Z');
  t.is(startOfDay('2026-01-15', 'Europe/Amsterdam').toISOString(), '2026-01-14T23:00:00.000Z');
  // Chile moves its clocks at midnight: that day starts at 01:00 local.
  t.is(startOfDay('2026-09-06', 'America/Santiago').toISOString(), '2026-09-06T04:00:00.000Z');
});

test('a remembered start is the same answer every time and cannot be changed through the Date handed out (pure)', (t) => {
  const first = startOfDay('2026-03-29', 'Europe/Amsterdam');
  first.setTime(0);
  t.is(startOfDay('2026-03-29', 'Europe/Amsterdam').toISOString(), '2026-03-28T23:00:00.000Z');
  t.is(startOfDay('2026-03-29', 'Asia/Kolkata').toISOString(), '2026-03-28T18:30:00.000Z', 'the zone is part of what is remembered');
});
