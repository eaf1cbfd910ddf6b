import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

/** Cursor pagination's page facts (the Relay shape, forward only). */
@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor!: string | null;
}

/** One page of a list, as the service reads it: its rows, and how to name each one's place. */
export interface Page<R> {
  /** The rows, in order. */
  rows: readonly R[];
  /** The cursor after `row` (opaque to clients). */
  cursorOf: (row: R) => string;
  hasNextPage: boolean;
  /** Counts the whole list; called only when a client asks for `totalCount`. */
  count: () => Promise<number>;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  readonly nodes: T[];
  pageInfo: PageInfoType;
  readonly totalCount: Promise<number>;
}

/**
 * `<Name>Connection` and `<Name>Edge` over a node type: edges with cursors,
 * the nodes alone, `pageInfo` and `totalCount` (counted only when asked).
 * `of(page, toNode)` makes each row's edge in one pass (its cursor and its
 * node): a page's rows are the largest part of what a list answer
 * allocates, so they are not wrapped and copied on the way (issue 19).
 */
export function connectionType<T extends object>(
  name: string,
  node: ClassType<T>,
): {
  Connection: ClassType<Connection<T>>;
  of: <R>(page: Page<R>, toNode: (row: R) => T) => Connection<T>;
} {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionOf implements Connection<T> {
    @Field(() => [Edge])
    edges: Edge[];

    /** Made only when asked for. */
    @Field(() => [node])
    get nodes(): T[] {
      return this.edges.map((edge) => edge.node);
    }

    @Field(() => PageInfoType)
    pageInfo: PageInfoType;

    constructor(
      edges: Edge[],
      hasNextPage: boolean,
      private readonly count: () => Promise<number>,
    ) {
      this.edges = edges;
      this.pageInfo = { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null };
    }

    @Field(() => Int, { description: 'How many the whole list holds.' })
    get totalCount(): Promise<number> {
      return this.count();
    }
  }
  return {
    Connection: ConnectionOf,
    of: (page, toNode) =>
      new ConnectionOf(
        page.rows.map((row) => ({ cursor: page.cursorOf(row), node: toNode(row) })),
        page.hasNextPage,
        page.count,
      ),
  };
}
