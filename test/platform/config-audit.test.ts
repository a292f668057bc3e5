import test from 'ava';
import { parseConfig } from '../../src/platform/config.js';
import { CONFIG_CHANGED, recordConfigChange } from '../../src/audit/config-changes.js';
import { startTestApp } from '../helpers/app.js';

test('a configuration change between starts is recorded in the audit log by key, without values', async (t) => {
  const a = await startTestApp(t, { mail: { host: 'relay-one.example.test' } });
  const first = await a.db.knex('audit.events').where({ action: CONFIG_CHANGED }).select('payload');
  t.is(first.length, 1, 'the first start records the configuration');
  t.true(first[0]!.payload.first);

  const same = parseConfig({ ...JSON.parse(JSON.stringify(a.config)) }, 'test');
  t.deepEqual(await recordConfigChange(a.db.knex, a.app.services.audit, same), [], 'no change, no event');

  const changed = parseConfig({ ...JSON.parse(JSON.stringify(a.config)), mail: { ...a.config.mail, host: 'relay-two.example.test', port: 587 } }, 'test');
  t.deepEqual(await recordConfigChange(a.db.knex, a.app.services.audit, changed), ['mail.host', 'mail.port']);
  await a.app.services.audit.flush(); // chained, as at the appliance's start
  const events = await a.db.knex('audit.events').where({ action: CONFIG_CHANGED }).orderBy('seq').select('payload');
  t.is(events.length, 2);
  t.false(JSON.stringify(events).includes('relay-two'), 'values are not in the log, only fingerprints');
});
