import { randomBytes } from 'node:crypto';
import { Cursors } from '../../src/common/cursor';
import { ROLES } from '../../src/modules/organizations/organization.entity';
import { Roles } from '../../src/modules/organizations/roles';

const ID = /^mem_[0-9A-Za-z]{22}$/;
const key = { createdAt: new Date('2026-12-03T10:00:00.123Z'), id: 'mem_0123456789ABCDEFGHIJKL' };

describe('cursors', () => {
  const cursors = new Cursors(randomBytes(32));

  it('round-trip within their own list and organization only', () => {
    const cursor = cursors.encode('members', 'org_a', key);
    expect(cursors.decode(cursor, 'members', 'org_a', ID)).toEqual(key);
    expect(cursors.decode(cursor, 'invitations', 'org_a', ID)).toBeUndefined();
    expect(cursors.decode(cursor, 'members', 'org_b', ID)).toBeUndefined();
    expect(new Cursors(randomBytes(32)).decode(cursor, 'members', 'org_a', ID)).toBeUndefined();
  });

  it('refuse every single-character change, a forged payload, junk and oversize input', () => {
    const cursor = cursors.encode('members', 'org_a', key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < cursor.length; i++) {
      for (const c of alphabet) {
        if (c === cursor[i]) continue;
        const changed = cursor.slice(0, i) + c + cursor.slice(i + 1);
        expect(cursors.decode(changed, 'members', 'org_a', ID)).toBeUndefined();
      }
    }
    const [, tag] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify(['members', 'org_a', 1, key.id])).toString(
      'base64url',
    );
    for (const bad of [`${forged}.${tag}`, `${cursor}=`, '', '!!!', 'x'.repeat(201), forged]) {
      expect(cursors.decode(bad, 'members', 'org_a', ID)).toBeUndefined();
    }
  });
});

describe('roles', () => {
  it('owner > admin > member: who may change, remove, invite and transfer', () => {
    const table = ROLES.flatMap((actor) =>
      ROLES.flatMap((from) =>
        ROLES.filter((to) => Roles.mayChangeRole(actor, from, to)).map(
          (to) => `${actor}:${from}->${to}`,
        ),
      ),
    );
    expect(table.filter((entry) => entry.startsWith('member:'))).toEqual([]);
    expect(table.filter((entry) => entry.startsWith('admin:'))).toEqual([
      'admin:admin->admin',
      'admin:admin->member',
      'admin:member->admin',
      'admin:member->member',
    ]);
    expect(table.filter((entry) => entry.startsWith('owner:'))).toHaveLength(9);
    expect(ROLES.map((target) => Roles.mayRemove('admin', target))).toEqual([false, true, true]);
    expect(ROLES.map((target) => Roles.mayRemove('member', target))).toEqual([false, false, false]);
    expect(ROLES.map((role) => Roles.mayInvite('admin', role))).toEqual([false, true, true]);
    expect(ROLES.map((actor) => Roles.mayTransfer(actor))).toEqual([true, false, false]);
  });
});
