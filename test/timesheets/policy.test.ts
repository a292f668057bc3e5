import test from 'ava';
import type { Actor } from '../../src/identity/policy.js';
import type { Role } from '../../src/identity/repository.js';
import { canEditEntries, canRead, canReopen, canReview, canSubmit, DAY_STATES, type DayFacts } from '../../src/timesheets/policy.js';

const actor = (id: string, roles: Role[], teams: string[] = []): Actor => ({ accountId: id, roles: new Set(roles), teams: new Set(teams) });
const owner = actor('owner', ['employee']);
const admin = actor('admin', ['team_admin'], ['team-a']);
const other = actor('other', ['team_admin'], ['team-b']);
const auditor = actor('auditor', ['auditor']);
const operator = actor('operator', ['operator']);
// Holding the team name without the role grants nothing.
const teamWithoutRole = actor('x', ['employee'], ['team-a']);

test('the predicates implement the matrix of PRODUCT.md', (t) => {
  for (const state of DAY_STATES) {
    const day: DayFacts = { ownerId: 'owner', state, scopeTeams: ['team-a'] };
    t.true(canRead(owner, day));
    t.is(canRead(admin, day), state !== 'draft', `admin in scope × ${state}`);
    for (const a of [other, auditor, operator, teamWithoutRole]) t.false(canRead(a, day), `${a.accountId} × ${state}`);
    t.is(canEditEntries(owner, day), state === 'draft' || state === 'returned');
    t.is(canSubmit(owner, day), state === 'draft' || state === 'returned');
    t.false(canEditEntries(admin, day));
    t.is(canReview(admin, day), state === 'submitted');
    t.is(canReopen(admin, day), state === 'approved');
    t.false(canReview(owner, day), 'nobody reviews their own day');
    t.false(canReview(other, day));
  }
  // An admin of the team reviewing their own day: no.
  const self = actor('owner', ['team_admin'], ['team-a']);
  t.false(canReview(self, { ownerId: 'owner', state: 'submitted', scopeTeams: ['team-a'] }));
  // The scope is what was recorded: an empty recorded scope is visible to no admin.
  t.false(canRead(admin, { ownerId: 'owner', state: 'submitted', scopeTeams: [] }));
});
