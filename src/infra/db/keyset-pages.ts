import type DataLoader from 'dataloader';
import type { CursorKey } from '../../common/cursor';
import { batchAcrossRequests } from './batch';
import type { PreparedStatements } from './sql';

/** How one list is read: its rows of one scope (an organization, say), oldest first. */
export interface KeysetList {
  /** Prefix of the two statements' names (`<name>_first_v2`, `<name>_after_v2`). */
  name: string;
  /**
   * `select … from … where <scope column> = k.scope`: `k` is the page asked
   * for (`k.scope`), and the list must name its id `"id"` and its creation
   * time, as epoch milliseconds, `"createdAt"` (`EntityColumns.selectAs`).
   */
  select: string;
  /** The creation-time column (`m."created_at"`), first key of the list's (scope, created_at, id) index. */
  createdAt: string;
  /** The id column (`m."id"`), its second key. */
  id: string;
}

interface PageRequest {
  scope: string;
  limit: number;
  after: CursorKey | undefined;
}

/** What the statements answer: a row of the list, and which page of the batch it belongs to. */
type Numbered<Row> = Row & { page: number };

/**
 * Keyset pages of one list as plain rows, read for all the requests of one
 * turn of the event loop in one round trip (`batchAcrossRequests`, as the
 * viewer's and the token reads are): each page asked for is a row of
 * `unnest(…)`, and a LATERAL subquery reads that page on the list's
 * (scope, created_at, id) index, so every page costs one descent of the index
 * and its rows, however many rows the scope and the other scopes hold, and
 * however many pages are read together (test/generic-plans).
 *
 * Two named prepared statements: first pages, and pages after a cursor
 * (`>=` lets the index range start at the cursor, the `or` settles ties on
 * created_at; one statement with an optional cursor could not start the
 * range there under a generic plan). Sent one request at a time, the page
 * was a round trip of its own per request, and the socket write to
 * PostgreSQL the largest item of the members page's profile (issue 19).
 *
 * Each page's rows come back in the list's order: the outer ORDER BY sorts
 * the few rows read (page, then the list's own keys; `"createdAt"` is the
 * time in milliseconds with its microseconds as the fraction, so its order is
 * the column's), never the scope's rows.
 */
export class KeysetPages<Row extends { id: string; createdAt: number }> {
  private readonly first: { name: string; text: string };
  private readonly after: { name: string; text: string };
  private readonly firstPages: DataLoader<PageRequest, Row[]>;
  private readonly afterPages: DataLoader<PageRequest, Row[]>;

  constructor(
    private readonly statements: PreparedStatements,
    list: KeysetList,
  ) {
    const { select, createdAt, id } = list;
    const page = (args: string, columns: string, condition: string) => `
select k.n::int4 as page, p.*
  from unnest(${args}) with ordinality as k(${columns}, n)
  cross join lateral (${select}${condition} order by ${createdAt}, ${id} limit k.size) p
 order by k.n, p."createdAt", p."id"`;
    this.first = {
      name: `${list.name}_first_v2`,
      text: page('$1::text[], $2::int4[]', 'scope, size', ''),
    };
    this.after = {
      name: `${list.name}_after_v2`,
      text: page(
        '$1::text[], $2::int4[], $3::timestamptz[], $4::text[]',
        'scope, size, after_at, after_id',
        ` and ${createdAt} >= k.after_at and (${createdAt} > k.after_at or ${id} > k.after_id)`,
      ),
    };
    this.firstPages = batchAcrossRequests((pages) => this.readMany(this.first, pages));
    this.afterPages = batchAcrossRequests((pages) => this.readMany(this.after, pages));
  }

  /** Up to `limit` rows of `scope` after `after` (oldest first), as the statement answers them. */
  read(scope: string, limit: number, after?: CursorKey): Promise<Row[]> {
    return (after ? this.afterPages : this.firstPages).load({ scope, limit, after });
  }

  private async readMany(
    statement: { name: string; text: string },
    pages: readonly PageRequest[],
  ): Promise<Row[][]> {
    const values: unknown[] = [pages.map((p) => p.scope), pages.map((p) => p.limit)];
    if (statement === this.after) {
      values.push(
        pages.map((p) => p.after?.createdAt),
        pages.map((p) => p.after?.id),
      );
    }
    const rows = await this.statements.query<Numbered<Row>>(statement.name, statement.text, values);
    const answers = pages.map((): Row[] => []);
    for (const row of rows) answers[row.page - 1]?.push(row);
    return answers;
  }
}
