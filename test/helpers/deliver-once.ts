/**
 * Child process for the kill -9 test: runs one delivery pass against the database
 * and relay given in the environment, printing "claimed" when it starts.
 */
import { pino } from 'pino';
import { parseConfig } from '../../src/platform/config.js';
import { createKnex } from '../../src/platform/db.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';

const config = parseConfig({ database: { url: process.env.DB_URL }, mail: { port: Number(process.env.SMTP_PORT), host: '127.0.0.1', tls: 'none' } });
const db = createKnex({ connectionString: config.database.url }, config);
process.stdout.write('started\n');
const result = await deliverDue(db, createTransport(config.mail), config.mail, pino({ level: 'silent' }));
process.stdout.write(JSON.stringify(result) + '\n');
await db.destroy();
