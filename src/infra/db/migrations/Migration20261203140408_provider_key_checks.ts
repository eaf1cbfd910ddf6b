import { Migration } from '@mikro-orm/migrations';

export class Migration20261203140408_provider_key_checks extends Migration {

  override name = 'Migration20261203140408_provider_key_checks';

  override up(): void | Promise<void> {
    this.addSql(`alter table "api_keys" add "check_status" text not null default 'unverified', add "status_reason" text null, add "last_validated_at" timestamptz null;`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_check_status_check" check ("check_status" in ('valid', 'invalid', 'unverified'));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_status_reason_check" check ("status_reason" in ('AUTHENTICATION_FAILED', 'PERMISSION_DENIED', 'WRONG_FORMAT', 'VALIDATION_DISABLED', 'BUSY', 'TIMEOUT', 'NETWORK_ERROR', 'REDIRECT', 'RATE_LIMITED', 'PROVIDER_ERROR', 'RESTRICTED_KEY', 'PROVIDER_REFUSED_REGION', 'UNEXPECTED_RESPONSE'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "api_keys" drop constraint "api_keys_check_status_check";`);
    this.addSql(`alter table "api_keys" drop constraint "api_keys_status_reason_check";`);
    this.addSql(`alter table "api_keys" drop column "check_status", drop column "status_reason", drop column "last_validated_at";`);
  }

}
