import { Migration } from '@mikro-orm/migrations';

export class Migration20261122170445_create_users_and_access_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "users" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" text not null, "password_hash" text not null, "name" text not null, "job_title" text null, "bio" text null, "avatar_url" text null, "preferred_style" text null, "timezone" text not null default 'UTC', "email_verified" boolean not null default false, "plan" text check ("plan" in ('free', 'starter', 'growth')) not null default 'free', "last_active_at" timestamptz null, constraint "users_pkey" primary key ("id"), constraint users_email_normalised check (email = lower(btrim(email))));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "access_tokens" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" text not null, "name" text not null, "token_hash" text not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "access_tokens_pkey" primary key ("id"));`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "access_tokens_user_active_idx" on "access_tokens" ("user_id", "revoked_at");`);

    this.addSql(`alter table "access_tokens" add constraint "access_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "access_tokens" drop constraint "access_tokens_user_id_foreign";`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "access_tokens" cascade;`);
  }

}
