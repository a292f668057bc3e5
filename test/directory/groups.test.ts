/**
 * Nested membership resolved from stored groups (src/directory/groups.ts), as pure
 * functions: loops, depth, renames merged into member lists, deleted groups.
 */
import test from 'ava';
import { DirectorySyncError } from '../../src/directory/errors.js';
import { dnKey, mergeGroups, resolveMembers, type DirectoryGroup } from '../../src/directory/groups.js';

const g = (guid: string, dn: string, members: string[]): DirectoryGroup => ({ guid, dn, members });
const users = new Map([['cn=u1,ou=s', 'id1'], ['cn=u2,ou=s', 'id2'], ['cn=u3,ou=s', 'id3']]);

test('DN keys ignore case and blanks after commas', (t) => {
  t.is(dnKey('CN=A B, OU=Staff,DC=x'), 'cn=a b,ou=staff,dc=x');
});

test('three levels of nesting and a loop (A in B in A) resolve once, without looping', (t) => {
  const groups = [
    g('a', 'CN=A,OU=G', ['CN=B,OU=G', 'CN=U1,OU=S']),
    g('b', 'CN=B,OU=G', ['CN=A,OU=G', 'CN=C,OU=G']),
    g('c', 'CN=C,OU=G', ['CN=U2,OU=S', 'CN=Outside,OU=Elsewhere']),
    g('d', 'CN=D,OU=G', ['CN=U3,OU=S']),
  ];
  const m = resolveMembers(groups, ['CN=A,OU=G', 'cn=c,ou=g'], users, 'ldaps://dc');
  t.deepEqual([...m.get('CN=A,OU=G')!].sort(), ['id1', 'id2']);
  t.deepEqual([...m.get('cn=c,ou=g')!], ['id2']);
});

test('a configured group the directory does not hold is an error, never "no members"', (t) => {
  const err = t.throws(() => resolveMembers([g('a', 'CN=A,OU=G', [])], ['CN=Gone,OU=G'], users, 'ldaps://dc'));
  t.true(err instanceof DirectorySyncError);
  t.is((err as DirectorySyncError).code, 'group_missing');
});

test('merging an incremental run: changed groups replace rows, deleted ones go, renamed users and groups are rewritten in member lists', (t) => {
  const stored = [g('a', 'CN=A,OU=G', ['cn=b,ou=g', 'cn=u1,ou=s']), g('b', 'CN=B,OU=G', ['cn=u2,ou=s']), g('x', 'CN=X,OU=G', ['cn=u3,ou=s'])];
  const read = [g('b', 'CN=B2,OU=G', ['CN=U2,OU=S', 'CN=U3,OU=S'])];
  const merged = mergeGroups(stored, read, new Set(['x']), [{ from: 'CN=U1,OU=S', to: 'CN=U1,OU=Moved' }]);
  t.deepEqual(merged.groups.get('a')!.members, ['cn=b2,ou=g', 'cn=u1,ou=moved']);
  t.deepEqual(merged.groups.get('b')!.members, ['cn=u2,ou=s', 'cn=u3,ou=s']);
  t.false(merged.groups.has('x'));
  t.deepEqual([...merged.changed].sort(), ['a', 'b']);
  t.deepEqual([...merged.removed], ['x']);
  const renamedUsers = new Map([['cn=u1,ou=moved', 'id1'], ['cn=u2,ou=s', 'id2'], ['cn=u3,ou=s', 'id3']]);
  t.deepEqual([...resolveMembers(merged.groups.values(), ['CN=A,OU=G'], renamedUsers, 'u').get('CN=A,OU=G')!].sort(), ['id1', 'id2', 'id3']);
});
