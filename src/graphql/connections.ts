import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

/** Cursor pagination's page facts (the Relay shape, forward only). */
@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor!: string | null;
}

/** One page of a list, as the service reads it. */
export interface Page<T> {
  /** Each row with its cursor, in order. */
  rows: { cursor: string; node: T }[];
  hasNextPage: boolean;
  /** Counts the whole list; called only when a client asks for `totalCount`. */
  count: () => Promise<number>;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfoType;
  readonly totalCount: Promise<number>;
}

/**
 * `<Name>Connection` and `<Name>Edge` over a node type: edges with cursors,
 * the nodes alone, `pageInfo` and `totalCount` (counted only when asked).
 */
export function connectionType<T extends object>(
  name: string,
  node: ClassType<T>,
): { Connection: ClassType<Connection<T>>; of: (page: Page<T>) => Connection<T> } {
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

    @Field(() => [node])
    nodes: T[];

    @Field(() => PageInfoType)
    pageInfo: PageInfoType;

    constructor(private readonly page: Page<T>) {
      this.edges = page.rows;
      this.nodes = page.rows.map((row) => row.node);
      this.pageInfo = {
        hasNextPage: page.hasNextPage,
        endCursor: page.rows.at(-1)?.cursor ?? null,
      };
    }

    @Field(() => Int, { description: 'How many the whole list holds.' })
    get totalCount(): Promise<number> {
      return this.page.count();
    }
  }
  return { Connection: ConnectionOf, of: (page) => new ConnectionOf(page) };
}
