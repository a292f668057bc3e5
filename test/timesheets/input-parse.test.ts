import test from 'ava';
import { parseHours } from '../../src/timesheets/page-kit.js';
import { clock, parseDuration, parseTimeOfDay } from '../../src/timesheets/time-input.js';

const minutes = (p: ReturnType<typeof parseTimeOfDay>) => (p.ok ? p.minutes : p.message);

test('a time of day is read as people type it: 9:00, 09:00, 0900, 900, 9.30, 9, 17', (t) => {
  t.is(minutes(parseTimeOfDay('9:00')), 540);
  t.is(minutes(parseTimeOfDay('09:00')), 540);
  t.is(minutes(parseTimeOfDay('0900')), 540);
  t.is(minutes(parseTimeOfDay('900')), 540);
  t.is(minutes(parseTimeOfDay('9.30')), 570);
  t.is(minutes(parseTimeOfDay('930')), 570);
  t.is(minutes(parseTimeOfDay('9')), 540);
  t.is(minutes(parseTimeOfDay('17')), 1020);
  t.is(minutes(parseTimeOfDay(' 17:45 ')), 1065);
  t.is(minutes(parseTimeOfDay('0:00')), 0);
  t.is(minutes(parseTimeOfDay('23:59')), 1439);
});

test('a time of day that is not one is refused with a message saying what to type', (t) => {
  for (const bad of ['', 'noon', '24:00', '9:60', '2400', '9.3', '9:5', '12345', '-1', '9:00pm']) {
    const p = parseTimeOfDay(bad);
    t.false(p.ok, bad);
    if (!p.ok) t.regex(p.message, bad === '' ? /required/ : /time/, bad);
  }
});

test('a duration is read in hours: 10,5, 10.5, 1:30, 8, ,5', (t) => {
  t.is(minutes(parseDuration('10,5')), 630);
  t.is(minutes(parseDuration('10.5')), 630);
  t.is(minutes(parseDuration('1:30')), 90);
  t.is(minutes(parseDuration('0:45')), 45);
  t.is(minutes(parseDuration('8')), 480);
  t.is(minutes(parseDuration('1,25')), 75);
  t.is(minutes(parseDuration(',5')), 30);
  t.is(minutes(parseDuration('24')), 1440);
});

test('a duration that is not one, or over 24 hours, is refused', (t) => {
  for (const bad of ['', 'lots', '1:75', '1,555', '25', '24:30', '1h30', '-2']) {
    const p = parseDuration(bad);
    t.false(p.ok, bad);
  }
  const over = parseDuration('30');
  t.true(!over.ok && /at most 24 hours/.test(over.message));
});

test('the week grid reads hours with the same parser', (t) => {
  t.is(parseHours('10,5'), 630);
  t.is(parseHours('1:30'), 90);
  t.is(parseHours('lots'), undefined);
});

test('minutes after midnight print as HH:MM', (t) => {
  t.is(clock(540), '09:00');
  t.is(clock(1065), '17:45');
});
