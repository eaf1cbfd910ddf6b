import { Migration } from '@mikro-orm/migrations';

export class Migration20261122172200_add_api_keys_organizations_onboarding_and_activity extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "organizations" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" text not null, "created_by_id" text null, constraint "organizations_pkey" primary key ("id"));`);
    this.addSql(`create index "organizations_created_by_idx" on "organizations" ("created_by_id");`);

    this.addSql(`create table "onboardings" ("user_id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "company" text not null, "use_case" text not null, "team_size" text not null, "prd_style" text not null, "interests" text[] not null, "completed_at" timestamptz not null, "organization_id" text null, constraint "onboardings_pkey" primary key ("user_id"));`);
    this.addSql(`create index "onboardings_organization_idx" on "onboardings" ("organization_id");`);

    this.addSql(`create table "memberships" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" text not null, "user_id" text not null, "role" text check ("role" in ('owner', 'admin', 'member')) not null, constraint "memberships_pkey" primary key ("id"));`);
    this.addSql(`create index "memberships_user_idx" on "memberships" ("user_id");`);
    this.addSql(`alter table "memberships" add constraint "memberships_organization_user_unique" unique ("organization_id", "user_id");`);

    this.addSql(`create table "invitations" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" text not null, "email" text not null, "invited_by_id" text null, "status" text check ("status" in ('pending', 'accepted', 'revoked')) not null default 'pending', constraint "invitations_pkey" primary key ("id"));`);
    this.addSql(`create index "invitations_invited_by_idx" on "invitations" ("invited_by_id");`);
    this.addSql(`alter table "invitations" add constraint "invitations_organization_email_unique" unique ("organization_id", "email");`);

    this.addSql(`create table "api_keys" ("id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" text not null, "provider" text check ("provider" in ('openai', 'anthropic', 'gemini')) not null, "name" text null, "key_version" text not null, "iv" bytea not null, "ciphertext" bytea not null, "auth_tag" bytea not null, constraint "api_keys_pkey" primary key ("id"), constraint api_keys_auth_tag_length check (octet_length(auth_tag) = 16), constraint api_keys_iv_length check (octet_length(iv) = 12));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_user_provider_unique" unique ("user_id", "provider");`);

    this.addSql(`create table "activity_events" ("id" text not null, "user_id" text not null, "recorded_at" timestamptz not null, constraint "activity_events_pkey" primary key ("id"));`);
    this.addSql(`create index "activity_events_user_recorded_idx" on "activity_events" ("user_id", "recorded_at");`);

    this.addSql(`alter table "organizations" add constraint "organizations_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "onboardings" add constraint "onboardings_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "onboardings" add constraint "onboardings_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "memberships" add constraint "memberships_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "memberships" add constraint "memberships_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "invitations" add constraint "invitations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "invitations" add constraint "invitations_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "activity_events" add constraint "activity_events_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "users" alter column "timezone" drop default;`);
    this.addSql(`alter table "users" alter column "timezone" type text using ("timezone"::text);`);
    this.addSql(`alter table "users" alter column "timezone" drop not null;`);
    // A time zone is now null until the user chooses one (shown as UTC): the
    // old default could not tell a choice from no choice.
    this.addSql(`update "users" set "timezone" = null where "timezone" = 'UTC';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "onboardings" drop constraint "onboardings_organization_id_foreign";`);

    this.addSql(`alter table "memberships" drop constraint "memberships_organization_id_foreign";`);

    this.addSql(`alter table "invitations" drop constraint "invitations_organization_id_foreign";`);

    this.addSql(`drop table if exists "organizations" cascade;`);

    this.addSql(`drop table if exists "onboardings" cascade;`);

    this.addSql(`drop table if exists "memberships" cascade;`);

    this.addSql(`drop table if exists "invitations" cascade;`);

    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop table if exists "activity_events" cascade;`);

    this.addSql(`update "users" set "timezone" = 'UTC' where "timezone" is null;`);
    this.addSql(`alter table "users" alter column "timezone" type text using ("timezone"::text);`);
    this.addSql(`alter table "users" alter column "timezone" set default 'UTC';`);
    this.addSql(`alter table "users" alter column "timezone" set not null;`);
  }

}
