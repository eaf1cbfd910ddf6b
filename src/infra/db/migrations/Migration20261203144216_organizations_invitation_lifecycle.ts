import { Migration } from '@mikro-orm/migrations';

export class Migration20261203144216_organizations_invitation_lifecycle extends Migration {

  override name = 'Migration20261203144216_organizations_invitation_lifecycle';

  override up(): void | Promise<void> {
    this.addSql(`create index "memberships_organization_created_idx" on "memberships" ("organization_id", "created_at", "id");`);

    this.addSql(`alter table "invitations" drop constraint "invitations_organization_email_unique";`);
    this.addSql(`alter table "invitations" drop constraint "invitations_status_check";`);
    this.addSql(`alter table "invitations" add "role" text not null default 'member', add "expires_at" timestamptz null, add "token_hash" text null;`);
    // Invitations made before expiry existed last 14 days from their creation.
    this.addSql(`update "invitations" set "expires_at" = "created_at" + interval '14 days';`);
    this.addSql(`alter table "invitations" alter column "expires_at" set not null;`);
    // Cursors carry creation times in milliseconds (JavaScript's precision):
    // rows the ORM wrote have no more, this makes sure of it for any other.
    this.addSql(`update "memberships" set "created_at" = date_trunc('milliseconds', "created_at") where "created_at" <> date_trunc('milliseconds', "created_at");`);
    this.addSql(`update "invitations" set "created_at" = date_trunc('milliseconds', "created_at") where "created_at" <> date_trunc('milliseconds', "created_at");`);
    this.addSql(`alter table "invitations" add constraint "invitations_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "invitations_organization_created_idx" on "invitations" ("organization_id", "created_at", "id");`);
    this.addSql(`create index "invitations_email_idx" on "invitations" ("email");`);
    this.addSql(`create unique index "invitations_pending_email_unique" on "invitations" ("organization_id", "email") where "status" = 'pending';`);
    this.addSql(`alter table "invitations" add constraint "invitations_role_check" check ("role" in ('owner', 'admin', 'member'));`);
    this.addSql(`alter table "invitations" add constraint "invitations_status_check" check ("status" in ('pending', 'accepted', 'declined', 'revoked', 'expired'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invitations" drop constraint "invitations_token_hash_unique";`);
    this.addSql(`drop index "invitations_organization_created_idx";`);
    this.addSql(`drop index "invitations_email_idx";`);
    this.addSql(`drop index "invitations_pending_email_unique";`);
    this.addSql(`alter table "invitations" drop constraint "invitations_role_check";`);
    this.addSql(`alter table "invitations" drop constraint "invitations_status_check";`);
    this.addSql(`alter table "invitations" drop column "role", drop column "expires_at", drop column "token_hash";`);
    // Only the latest invitation per address can survive the old unique key.
    this.addSql(`delete from "invitations" i where exists (select 1 from "invitations" j where j."organization_id" = i."organization_id" and j."email" = i."email" and (j."created_at", j."id") > (i."created_at", i."id"));`);
    this.addSql(`update "invitations" set "status" = 'revoked' where "status" in ('declined', 'expired');`);
    this.addSql(`alter table "invitations" add constraint "invitations_organization_email_unique" unique ("organization_id", "email");`);
    this.addSql(`alter table "invitations" add constraint "invitations_status_check" check ("status" in ('pending', 'accepted', 'revoked'));`);

    this.addSql(`drop index "memberships_organization_created_idx";`);
  }

}
