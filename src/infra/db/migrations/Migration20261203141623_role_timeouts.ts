import { Migration } from '@mikro-orm/migrations';

/** The role's own defaults in this database: PostgreSQL applies them when any of its backends starts. */
const TIMEOUTS = {
  /** No statement runs longer (a runaway query, a lock wait). */
  statement_timeout: '10s',
  /** A transaction left open by a client that went away ends, releasing its locks. */
  idle_in_transaction_session_timeout: '30s',
} as const;

/**
 * The statement and idle-in-transaction timeouts as defaults of the role
 * that migrates (the service's own role) in this database, instead of
 * settings the client sends when it connects: a transaction-mode pooler
 * (PgBouncer) refuses such startup parameters, and dropping them
 * (`ignore_startup_parameters`) would drop the timeouts. A role may always
 * set its own defaults; they hold for every backend started afterwards,
 * directly or through a pooler (a pooler's open server connections keep the
 * old values until they reconnect).
 *
 * ALTER ROLE takes no parameters and names its database as an identifier,
 * so the statement is built on the server (format's %I quotes it) from the
 * session's own role and database; no value comes from outside.
 */
export class Migration20261203141623_role_timeouts extends Migration {

  override async up(): Promise<void> {
    for (const [name, value] of Object.entries(TIMEOUTS)) {
      this.addSql(
        `do $$ begin execute format('alter role %I in database %I set ${name} = %L', current_user, current_database(), '${value}'); end $$;`,
      );
    }
  }

  override async down(): Promise<void> {
    for (const name of Object.keys(TIMEOUTS)) {
      this.addSql(
        `do $$ begin execute format('alter role %I in database %I reset ${name}', current_user, current_database()); end $$;`,
      );
    }
  }

}
