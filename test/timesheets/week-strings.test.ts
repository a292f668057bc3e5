import test from 'ava';
import { dayLabel, WEEK_STRINGS, wt } from '../../src/timesheets/week-strings.js';

test('the week strings: Dutch and English have the same keys, none empty; placeholders filled; weekday names localised', (t) => {
  t.deepEqual(Object.keys(WEEK_STRINGS.nl).sort(), Object.keys(WEEK_STRINGS.en).sort());
  for (const lang of ['nl', 'en'] as const) {
    for (const [k, v] of Object.entries(WEEK_STRINGS[lang])) t.true(v.trim().length > 0, `${lang}.${k}`);
  }
  t.is(wt('en', 'copied', { n: 3 }), 'Copied: 3 entries.');
  t.is(wt('nl', 'copied', { n: 3 }), 'Gekopieerd: 3 regels.');
  t.is(dayLabel('en', '2026-11-30'), 'Mon 30 Nov');
  t.is(dayLabel('nl', '2026-11-30'), 'ma 30 nov');
});
