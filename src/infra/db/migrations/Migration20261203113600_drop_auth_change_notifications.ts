import { Migration } from '@mikro-orm/migrations';

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

  override async down(): Promise<void> {
    this.addSql(`create function notify_auth_changed() returns trigger language plpgsql as $$
      begin
        -- The trigger's argument names the column that holds the user id.
        perform pg_notify('account_auth_changed', to_jsonb(old) ->> tg_argv[0]);
        return null;
      end $$;`);
    this.addSql(`create trigger users_notify_auth_changed after update or delete on "users"
      for each row execute function notify_auth_changed('id');`);
    this.addSql(`create trigger access_tokens_notify_auth_changed
      after update of "revoked_at", "user_id", "token_hash" or delete on "access_tokens"
      for each row execute function notify_auth_changed('user_id');`);
  }

}
