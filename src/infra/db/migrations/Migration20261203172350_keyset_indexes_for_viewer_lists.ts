import { Migration } from '@mikro-orm/migrations';

export class Migration20261203172350_keyset_indexes_for_viewer_lists extends Migration {

  override name = 'Migration20261203172350_keyset_indexes_for_viewer_lists';

  override up(): void | Promise<void> {
    this.addSql(`drop index "memberships_user_idx";`);
    this.addSql(`create index "memberships_user_created_idx" on "memberships" ("user_id", "created_at", "id");`);

    this.addSql(`drop index "invitations_email_idx";`);
    this.addSql(`create index "invitations_email_created_idx" on "invitations" ("email", "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "invitations_email_created_idx";`);
    this.addSql(`create index "invitations_email_idx" on "invitations" ("email");`);

    this.addSql(`drop index "memberships_user_created_idx";`);
    this.addSql(`create index "memberships_user_idx" on "memberships" ("user_id");`);
  }

}
