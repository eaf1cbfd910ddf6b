import { Migration } from '@mikro-orm/migrations';
import { Migration20261122195239_notify_auth_changes } from './Migration20261122195239_notify_auth_changes';

/**
 * The token cache is gone (it lost to the batched lookup in paired runs), and
 * with it the LISTEN connection these triggers notified: every write to
 * `users` and `access_tokens` no longer sends a NOTIFY (which also took
 * PostgreSQL's global notification lock at each commit).
 */
export class Migration20261203113600_drop_auth_change_notifications extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop trigger if exists access_tokens_notify_auth_changed on "access_tokens";`);
    this.addSql(`drop trigger if exists users_notify_auth_changed on "users";`);
    this.addSql(`drop function if exists notify_auth_changed();`);
  }

  /** Puts back exactly what the migration that made them created. */
  override async down(): Promise<void> {
    await Migration20261122195239_notify_auth_changes.prototype.up.call(this);
  }

}
