import { Migration } from '@mikro-orm/migrations';

export class Migration20261203150605_add_mail_outbox extends Migration {

  override name = 'Migration20261203150605_add_mail_outbox';

  override up(): void | Promise<void> {
    this.addSql(`create table "mail_outbox" ("id" text not null, "user_id" text null, "template" varchar(64) not null, "recipient" varchar(320) not null, "data" jsonb not null, "secret_sealed" text null, "job_id" text null, "status" text not null default 'pending', "attempts" int not null default 0, "last_error" varchar(200) null, "deliver_by" timestamptz null, "created_at" timestamptz not null default now(), "sent_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "mail_outbox_status_created_idx" on "mail_outbox" ("status", "created_at");`);
    this.addSql(`create index "mail_outbox_user_idx" on "mail_outbox" ("user_id");`);

    this.addSql(`alter table "mail_outbox" add constraint "mail_outbox_status_check" check ("status" in ('pending', 'sent', 'failed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "mail_outbox" cascade;`);
  }

}
