import test from 'ava';
import type { Actor } from '../../src/identity/policy.js';
import type { Role } from '../../src/identity/repository.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../src/platform/errors.js';
import { authorize, canEditEntries, canRead, canReopen, canReview, canSubmit, DAY_STATES, type DayAction, type DayFacts } from '../../src/timesheets/policy.js';

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

/** What authorize() answers: 'ok', or the status of the error it throws. */
function verdict(a: Actor, action: DayAction, day: DayFacts | undefined): 'ok' | 403 | 404 | 409 {
  try {
    authorize(a, action, day);
    return 'ok';
  } catch (err) {
    if (err instanceof NotFoundError) return 404;
    if (err instanceof ForbiddenError) return 403;
    if (err instanceof ConflictError) return 409;
    throw err;
  }
}

test('authorize: 404 for days the actor may not see, 403 for actions not theirs, 409 for the wrong state', (t) => {
  for (const state of DAY_STATES) {
    const day: DayFacts = { ownerId: 'owner', state, scopeTeams: ['team-a'] };
    const open = state === 'draft' || state === 'returned';
    // Invisible: indistinguishable from a day that does not exist, whatever the action.
    for (const a of [other, auditor, operator, teamWithoutRole]) {
      for (const action of ['read', 'edit_entries', 'submit', 'review', 'reopen'] as const) t.is(verdict(a, action, day), 404, `${a.accountId} ${action} × ${state}`);
    }
    t.is(verdict(owner, 'read', day), 'ok');
    t.is(verdict(owner, 'edit_entries', day), open ? 'ok' : 409, `owner edits × ${state}`);
    t.is(verdict(owner, 'submit', day), open ? 'ok' : 409, `owner submits × ${state}`);
    t.is(verdict(owner, 'review', day), 403, `nobody reviews their own day × ${state}`);
    t.is(verdict(owner, 'reopen', day), 403);
    if (state === 'draft') {
      t.is(verdict(admin, 'read', day), 404, 'a draft is the owner’s alone');
      continue;
    }
    t.is(verdict(admin, 'read', day), 'ok');
    t.is(verdict(admin, 'edit_entries', day), 403, `admin edits × ${state}`);
    t.is(verdict(admin, 'review', day), state === 'submitted' ? 'ok' : 409);
    t.is(verdict(admin, 'reopen', day), state === 'approved' ? 'ok' : 409);
  }
  t.is(verdict(owner, 'read', undefined), 404, 'a missing day is a 404 like an invisible one');
});

test('authorize: master data is managed by operators and by team admins for their own teams', (t) => {
  const ok = (a: Actor, team?: string) => {
    try {
      authorize(a, 'manage_master_data', { team });
      return true;
    } catch (err) {
      t.true(err instanceof ForbiddenError);
      return false;
    }
  };
  t.true(ok(operator));
  t.true(ok(operator, ''), 'organisation-wide projects are the operators’');
  t.true(ok(admin));
  t.true(ok(admin, 'team-a'));
  t.false(ok(admin, 'team-b'));
  t.false(ok(admin, ''));
  for (const a of [owner, auditor, teamWithoutRole]) t.false(ok(a));
});
