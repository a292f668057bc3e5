/**
 * Nested membership resolved from stored groups (src/directory/groups.ts), as pure
 * functions: loops, depth, renames merged into member lists, deleted groups.
 */
import test from 'ava';
import { DirectorySyncError } from '../../src/directory/errors.js';
import { dnKey, keyed, mergeGroups, resolveMembers, type DirectoryGroup } from '../../src/directory/groups.js';

const g = (guid: string, dn: string, members: string[]): DirectoryGroup => ({ guid, dn, members });
const users = new Map([['CN=U1,OU=S', 'id1'], ['CN=U2,OU=S', 'id2'], ['CN=U3,OU=S', 'id3']].map(([dn, id]) => [dnKey(dn!), id!]));

test('DN keys ignore case and blanks after commas, and hold no name', (t) => {
  t.is(dnKey('CN=A B, OU=Staff,DC=x'), dnKey('cn=a b,ou=staff,dc=x'));
  t.not(dnKey('CN=A B,OU=Staff'), dnKey('CN=A C,OU=Staff'));
  t.false(dnKey('CN=Alice Aalders,OU=Staff').toLowerCase().includes('alice'));
});

test('three levels of nesting and a loop (A in B in A) resolve once, without looping', (t) => {
  const groups = [
    g('a', 'CN=A,OU=G', ['CN=B,OU=G', 'CN=U1,OU=S']),
    g('b', 'CN=B,OU=G', ['CN=A,OU=G', 'CN=C,OU=G']),
    g('c', 'CN=C,OU=G', ['CN=U2,OU=S', 'CN=Outside,OU=Elsewhere']),
    g('d', 'CN=D,OU=G', ['CN=U3,OU=S']),
  ].map(keyed);
  const m = resolveMembers(groups, ['CN=A,OU=G', 'cn=c,ou=g'], users, 'ldaps://dc');
  t.deepEqual([...m.get('CN=A,OU=G')!].sort(), ['id1', 'id2']);
  t.deepEqual([...m.get('cn=c,ou=g')!], ['id2']);
});

test('a configured group the directory does not hold is an error, never "no members"', (t) => {
  const err = t.throws(() => resolveMembers([keyed(g('a', 'CN=A,OU=G', []))], ['CN=Gone,OU=G'], users, 'ldaps://dc'));
  t.true(err instanceof DirectorySyncError);
  t.is((err as DirectorySyncError).code, 'group_missing');
});

test('merging an incremental run: changed groups replace rows, deleted ones go, renamed users and groups are rewritten in member lists', (t) => {
  const stored = [g('a', 'CN=A,OU=G', ['cn=b,ou=g', 'cn=u1,ou=s']), g('b', 'CN=B,OU=G', ['cn=u2,ou=s']), g('x', 'CN=X,OU=G', ['cn=u3,ou=s'])].map(keyed);
  const read = [g('b', 'CN=B2,OU=G', ['CN=U2,OU=S', 'CN=U3,OU=S'])];
  const merged = mergeGroups(stored, read, new Set(['x']), [{ from: 'CN=U1,OU=S', to: 'CN=U1,OU=Moved' }]);
  t.deepEqual(merged.groups.get('a')!.members, ['cn=b2,ou=g', 'cn=u1,ou=moved'].map(dnKey));
  t.deepEqual(merged.groups.get('b')!.members, ['cn=u2,ou=s', 'cn=u3,ou=s'].map(dnKey));
  t.false(merged.groups.has('x'));
  t.deepEqual([...merged.changed].sort(), ['a', 'b']);
  t.deepEqual([...merged.removed], ['x']);
  const renamedUsers = new Map([['CN=U1,OU=Moved', 'id1'], ['CN=U2,OU=S', 'id2'], ['CN=U3,OU=S', 'id3']].map(([dn, id]) => [dnKey(dn!), id!]));
  t.deepEqual([...resolveMembers(merged.groups.values(), ['CN=A,OU=G'], renamedUsers, 'u').get('CN=A,OU=G')!].sort(), ['id1', 'id2', 'id3']);
});
