import test from 'ava';
import { authorize, type Actor } from '../../src/identity/policy.js';
import type { Role } from '../../src/identity/repository.js';
import { ForbiddenError, NotFoundError } from '../../src/platform/errors.js';

const actor = (roles: Role[]): Actor => ({ accountId: `a-${roles.join('-')}`, roles: new Set(roles), teams: new Set() });
const employee = actor(['employee']);
const operator = actor(['operator']);
const auditor = actor(['auditor']);

/** The status authorize() answers with: 'ok', 403 or 404. */
function verdict(fn: () => void): 'ok' | 403 | 404 {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ForbiddenError) return 403;
    if (err instanceof NotFoundError) return 404;
    throw err;
  }
}

test('authorize: a role-gated call admits holders of one of its roles, 403 for others', (t) => {
  t.is(verdict(() => authorize(employee, 'call', { roles: [] })), 'ok', 'no roles named: any signed-in person');
  t.is(verdict(() => authorize(operator, 'call', { roles: ['operator'] })), 'ok');
  t.is(verdict(() => authorize(employee, 'call', { roles: ['operator'] })), 403);
  t.is(verdict(() => authorize(auditor, 'call', { roles: ['operator', 'team_admin'] })), 403);
  t.is(verdict(() => authorize(actor(['employee', 'team_admin']), 'call', { roles: ['operator', 'team_admin'] })), 'ok');
});

test('authorize: only operators revoke others’ sessions (403); the console is invisible to others (404)', (t) => {
  t.is(verdict(() => authorize(operator, 'revoke_sessions', { accountId: 'x' })), 'ok');
  for (const a of [employee, auditor, actor(['team_admin'])]) {
    t.is(verdict(() => authorize(a, 'revoke_sessions', { accountId: 'x' })), 403);
    t.is(verdict(() => authorize(a, 'open_operator_console', undefined)), 404);
  }
  t.is(verdict(() => authorize(operator, 'open_operator_console', undefined)), 'ok');
});
