import { Migration } from '@mikro-orm/migrations';

/**
 * Every change that can end or alter an authenticated session notifies the
 * servers (channel `account_auth_changed`, payload: the user id) when it
 * commits, so that their token caches drop it: any update or deletion of a
 * user, and the revocation or deletion of an access token. Triggers, not
 * application code, so that operator commands and manual SQL notify too.
 */
export class Migration20261122195239_notify_auth_changes extends Migration {

  override async up(): Promise<void> {
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

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists access_tokens_notify_auth_changed on "access_tokens";`);
    this.addSql(`drop trigger if exists users_notify_auth_changed on "users";`);
    this.addSql(`drop function if exists notify_auth_changed();`);
  }

}
