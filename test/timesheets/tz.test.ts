import test from 'ava';
import { addDays, daySpan, startOfDay } from '../../src/timesheets/tz.js';

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

test('addDays: the remembered next day is the calendar’s, asked once or many times, over month, year and leap-day ends', (t) => {
  for (let i = 0; i < 3; i++) {
    t.is(addDays('2026-12-31', 1), '2027-01-01');
    t.is(addDays('2028-02-28', 1), '2028-02-29');
    t.is(addDays('2027-02-28', 1), '2027-03-01');
    t.is(addDays('2026-03-01', -1), '2026-02-28');
    t.is(addDays('2026-03-29', 7), '2026-04-05');
  }
});
