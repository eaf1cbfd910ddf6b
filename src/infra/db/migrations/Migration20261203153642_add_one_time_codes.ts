import { Migration } from '@mikro-orm/migrations';

export class Migration20261203153642_add_one_time_codes extends Migration {

  override name = 'Migration20261203153642_add_one_time_codes';

  override up(): void | Promise<void> {
    this.addSql(`create table "one_time_codes" ("id" text not null, "purpose" text not null, "user_id" text not null, "code_hash" bytea not null, "email" text null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "superseded_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "one_time_codes" add constraint "one_time_codes_hash_unique" unique ("code_hash");`);
    this.addSql(`create index "one_time_codes_expires_idx" on "one_time_codes" ("expires_at");`);
    this.addSql(`create index "one_time_codes_user_purpose_idx" on "one_time_codes" ("user_id", "purpose");`);
    this.addSql(`create unique index "one_time_codes_live_unique" on "one_time_codes" ("user_id", "purpose") where "used_at" is null and "superseded_at" is null;`);

    this.addSql(`alter table "one_time_codes" add constraint "one_time_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "one_time_codes" add constraint "one_time_codes_purpose_check" check ("purpose" in ('email_verification', 'password_reset', 'email_change'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "one_time_codes" cascade;`);
  }

}
