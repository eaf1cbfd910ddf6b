import { Migration } from '@mikro-orm/migrations';

export class Migration20261203161422_token_expiry_scopes_client_and_security_events extends Migration {

  override name = 'Migration20261203161422_token_expiry_scopes_client_and_security_events';

  override up(): void | Promise<void> {
    this.addSql(`create table "security_events" ("seq" bigserial primary key, "id" text not null, "user_id" text not null, "type" text not null, "occurred_at" timestamptz not null, "ip" text null, "user_agent" text null, "subject_id" text null);`);
    this.addSql(`alter table "security_events" add constraint "security_events_id_unique" unique ("id");`);
    this.addSql(`create index "security_events_occurred_at_idx" on "security_events" ("occurred_at");`);
    this.addSql(`create index "security_events_user_seq_idx" on "security_events" ("user_id", "seq");`);
    this.addSql(`create unique index "security_events_token_expired_once" on "security_events" ("subject_id") where "type" = 'TOKEN_EXPIRED';`);

    this.addSql(`alter table "access_tokens" add "expires_at" timestamptz null, add "scopes" text[] not null default '{ACCOUNT_READ,ACCOUNT_WRITE,API_KEYS_WRITE,SENSITIVE}', add "last_used_ip" text null, add "last_used_user_agent" text null;`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_scopes_check" check ("scopes" <@ array['ACCOUNT_READ'::text, 'ACCOUNT_WRITE'::text, 'API_KEYS_WRITE'::text, 'SENSITIVE'::text]);`);

    this.addSql(`alter table "security_events" add constraint "security_events_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check ("type" in ('SIGN_UP', 'SIGN_IN', 'SIGN_IN_FAILED', 'TOKEN_REVOKED', 'TOKEN_EXPIRED', 'OTHER_TOKENS_REVOKED', 'PASSWORD_CHANGED', 'PASSWORD_RESET', 'EMAIL_VERIFIED', 'EMAIL_CHANGED', 'PROVIDER_KEY_ADDED', 'PROVIDER_KEY_REPLACED', 'PROVIDER_KEY_REMOVED', 'DATA_EXPORTED', 'ONBOARDING_COMPLETED', 'ORGANIZATION_MEMBERSHIP_ADDED', 'ORGANIZATION_MEMBERSHIP_REMOVED', 'ORGANIZATION_MEMBERSHIP_CHANGED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "security_events" cascade;`);

    this.addSql(`alter table "access_tokens" drop constraint "access_tokens_scopes_check";`);
    this.addSql(`alter table "access_tokens" drop column "expires_at", drop column "scopes", drop column "last_used_ip", drop column "last_used_user_agent";`);
  }

}
