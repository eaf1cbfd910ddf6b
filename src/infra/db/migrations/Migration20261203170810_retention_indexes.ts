import { Migration } from '@mikro-orm/migrations';

export class Migration20261203170810_retention_indexes extends Migration {

  override name = 'Migration20261203170810_retention_indexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "activity_events_recorded_at_idx" on "activity_events" ("recorded_at");`);

    this.addSql(`create index "access_tokens_expires_at_idx" on "access_tokens" ("expires_at") where "expires_at" is not null;`);
    this.addSql(`create index "access_tokens_revoked_at_idx" on "access_tokens" ("revoked_at") where "revoked_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "access_tokens_expires_at_idx";`);
    this.addSql(`drop index "access_tokens_revoked_at_idx";`);

    this.addSql(`drop index "activity_events_recorded_at_idx";`);
  }

}
