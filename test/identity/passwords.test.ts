import test from 'ava';
import { BCRYPT_COST, hashPassword, isCommonPassword, passwordProblem, verifyPassword } from '../../src/identity/passwords.js';
import { checkTotp, currentTotp, newRecoveryCodes, newTotpSecret, recoveryCodeHash } from '../../src/identity/totp.js';

test('bcrypt cost is at least 12 and long passwords are not truncated at 72 bytes', async (t) => {
  t.true(BCRYPT_COST >= 12);
  const base = 'x'.repeat(100);
  const hash = await hashPassword(base + 'A');
  t.regex(hash, /^\$2[aby]\$12\$/);
  t.true(await verifyPassword(base + 'A', hash));
  t.false(await verifyPassword(base + 'B', hash), 'a difference after byte 72 counts');
});

test('hashing runs off the event loop (timers keep firing during bcrypt)', async (t) => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await Promise.all([hashPassword('a-long-enough-password-1'), hashPassword('a-long-enough-password-2')]);
  clearInterval(timer);
  t.true(ticks >= 5, `event loop ticked ${ticks} times during hashing`);
});

test('password policy: length and the shipped breached-password list, no composition rules', (t) => {
  t.regex(passwordProblem('short-1')!, /at least 12/);
  t.regex(passwordProblem('qwertyuiop123')!, /too common/);
  t.regex(passwordProblem('password1234!!')!, /too common/);
  t.regex(passwordProblem('monkeymonkeymonkey')!, /too common/);
  t.regex(passwordProblem('alice-garden-2024', 'alice')!, /user name/);
  t.is(passwordProblem('all lower case words only'), undefined, 'no composition rules');
  t.true(isCommonPassword('123456789012'));
});

test('TOTP accepts ±1 step of drift, refuses older steps and reuse', async (t) => {
  const secret = newTotpSecret();
  const now = Date.now();
  const step = await checkTotp(secret, await currentTotp(secret, now), 0, now);
  t.truthy(step);
  t.is(await checkTotp(secret, await currentTotp(secret, now), step!, now), undefined, 'same code twice');
  t.truthy(await checkTotp(secret, await currentTotp(secret, now - 30_000), 0, now), 'one step behind');
  t.truthy(await checkTotp(secret, await currentTotp(secret, now + 30_000), 0, now), 'one step ahead');
  t.is(await checkTotp(secret, await currentTotp(secret, now - 90_000), 0, now), undefined, 'three steps behind');
  t.is(await checkTotp(secret, 'abcdef', 0, now), undefined);
});

test('recovery codes: ten, distinct, hashed independent of formatting', (t) => {
  const codes = newRecoveryCodes();
  t.is(codes.length, 10);
  t.is(new Set(codes).size, 10);
  t.deepEqual(recoveryCodeHash(codes[0]!.toUpperCase().replace(/-/g, ' ')), recoveryCodeHash(codes[0]!));
});
