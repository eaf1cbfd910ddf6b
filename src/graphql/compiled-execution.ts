import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  execute,
  GraphQLError,
  OperationTypeNode,
  printSchema,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

type Gateway = ApolloServerOptionsWithGateway<object>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

export interface CompiledExecutionOptions {
  /** A query document is compiled the Nth time it is seen; before, graphql-js runs it. */
  compileOn: number;
  /** Most compiled operations held at once; the least recently used goes first. */
  maxCompiled?: number;
}

/** One execution, whichever engine runs it. */
export interface ExecutionRequest {
  document: DocumentNode;
  operationName: string | null;
  /** Absent when the document names no operation to run: graphql-js then says why. */
  operation: OperationTypeNode | undefined;
  contextValue: object;
  variableValues: Record<string, unknown> | undefined;
}

/** An operation graphql-jit declined to compile: graphql-js keeps running it. */
const NOT_COMPILABLE = null;

/**
 * Runs the queries clients send again and again through graphql-jit, which
 * compiles an operation into JavaScript functions, instead of graphql-js's
 * interpreter. Same schema, same resolvers, same answers: the tests run both
 * engines on the same documents and compare every response
 * (`test/compiled-execution.test.ts`). They found two differences: one
 * graphql-jit bug, kept away by `repeatsAConditionalSpread`, and, when
 * several non-null fields fail under one nullable field, graphql-jit
 * reporting each error where graphql-js reports the first (same data).
 *
 * - Only queries. Mutations are rare, and graphql-js keeps their serial
 *   semantics without a second implementation to trust.
 * - A document is compiled the `compileOn`th time it is seen, since compiling
 *   costs milliseconds: a document sent once or twice never pays for it, and
 *   each compile a client forces costs it `compileOn` requests, which
 *   graphql-js must parse, validate and run first. Apollo's document
 *   store hands back the same parsed document for the same text, so sightings
 *   are counted per document object, in a WeakMap that forgets a document
 *   when the store does.
 * - At most `maxCompiled` compiled operations are held, least recently used
 *   out first.
 * - Variables graphql-jit refuses are refused again by graphql-js, whose
 *   errors are the ones the error formatting reads (the differential test
 *   found graphql-jit's flat messages echoing the value).
 *
 * Apollo Server 5 has one way to replace execution, its gateway interface:
 * `gateway()` is a gateway over our own schema whose executor is this.
 */
export class CompiledExecution {
  private readonly sightings = new WeakMap<DocumentNode, number>();
  /** By document, then operation name; in least-recently-used order. */
  private readonly compiled = new Map<
    DocumentNode,
    Map<string, CompiledQuery | typeof NOT_COMPILABLE>
  >();
  private readonly maxCompiled: number;
  /** A resolver of the schema as the held operations were compiled against it. */
  private resolverMark: unknown;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: CompiledExecutionOptions,
  ) {
    this.maxCompiled = options.maxCompiled ?? 500;
    this.resolverMark = this.currentResolverMark();
  }

  /**
   * graphql-jit calls the `resolve` each field had when it compiled. Apollo
   * replaces every field's `resolve` of this schema at once, in place, the
   * first time a request needs field instrumentation (a usage-reporting
   * trace, or an ftv1 trace a router asks for). Operations compiled before
   * would never report field statistics: once the mark has changed,
   * everything held is dropped and compiled again against the wrappers (one
   * recompile per hot document, once; a reference comparison per execution).
   */
  private currentResolverMark(): unknown {
    const fields = this.schema.getQueryType()?.getFields() ?? {};
    return Object.values(fields)[0]?.resolve;
  }

  /** How many compiled operations are held. */
  get size(): number {
    let size = 0;
    for (const operations of this.compiled.values()) {
      for (const compiled of operations.values()) if (compiled) size++;
    }
    return size;
  }

  /** Apollo's `gateway` option: this schema, executed by `execute`. */
  gateway(): Gateway {
    const executor: Executor = (request) =>
      this.execute({
        document: request.document,
        // The client's: Apollo's own is null when it matches no operation.
        operationName: request.request.operationName ?? null,
        // Typed as always there, but Apollo calls the executor without one
        // when the operation name matches none (or is missing among several).
        operation: (request.operation as OperationDefinitionNode | undefined)?.operation,
        contextValue: request.context,
        variableValues: request.request.variables,
      });
    const apiSchema = this.schema;
    return {
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema, coreSupergraphSdl: printSchema(apiSchema) });
        return () => undefined;
      },
      load: () => Promise.resolve({ executor }),
      stop: () => Promise.resolve(),
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const mark = this.currentResolverMark();
    if (mark !== this.resolverMark) {
      this.resolverMark = mark;
      this.compiled.clear();
    }
    const compiled =
      request.operation === OperationTypeNode.QUERY
        ? this.compiledFor(request.document, request.operationName)
        : NOT_COMPILABLE;
    if (!compiled) return this.interpret(request);
    const result = await compiled.query(
      undefined,
      request.contextValue,
      request.variableValues ?? {},
    );
    // No data at all: graphql-jit refused the variables, before running
    // anything. graphql-js refuses them too, with errors that say which
    // variable and why apart from the value (what src/graphql/errors.ts
    // reads); graphql-jit's are flat text with the value in it.
    if (result.errors && result.data === undefined) return this.interpret(request);
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  }

  /** graphql-js's interpreter. */
  private interpret(request: ExecutionRequest): Promise<ExecutionResult> | ExecutionResult {
    return interpret(this.schema, request);
  }

  private compiledFor(
    document: DocumentNode,
    operationName: string | null,
  ): CompiledQuery | typeof NOT_COMPILABLE {
    const name = operationName ?? '';
    const operations = this.compiled.get(document);
    const held = operations?.get(name);
    if (operations && held !== undefined) {
      this.compiled.delete(document);
      this.compiled.set(document, operations);
      return held;
    }
    const seen = (this.sightings.get(document) ?? 0) + 1;
    this.sightings.set(document, seen);
    if (seen < this.options.compileOn) return NOT_COMPILABLE;

    const entry = operations ?? new Map<string, CompiledQuery | typeof NOT_COMPILABLE>();
    entry.set(name, compile(this.schema, document, operationName));
    this.compiled.delete(document);
    this.compiled.set(document, entry);
    if (this.compiled.size > this.maxCompiled) {
      const [oldest] = this.compiled.keys();
      if (oldest) this.compiled.delete(oldest);
    }
    return entry.get(name) ?? NOT_COMPILABLE;
  }
}

/** Runs an operation with graphql-js's interpreter. */
export function interpret(
  schema: GraphQLSchema,
  request: ExecutionRequest,
): Promise<ExecutionResult> | ExecutionResult {
  const { document, operationName, contextValue, variableValues } = request;
  return execute({ schema, document, operationName, contextValue, variableValues });
}

function compile(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null,
): CompiledQuery | typeof NOT_COMPILABLE {
  if (repeatsAConditionalSpread(document)) return NOT_COMPILABLE;
  try {
    const result = compileQuery(schema, document, operationName ?? undefined, {
      // graphql-jit's newer handling of @skip/@include on fragment spreads;
      // the older one is to be removed.
      useExperimentalPathBasedSkipInclude: true,
    });
    return isCompiledQuery(result) ? result : NOT_COMPILABLE;
  } catch {
    // Whatever graphql-jit cannot compile, graphql-js still runs.
    return NOT_COMPILABLE;
  }
}

/**
 * Whether a fragment spread under @skip or @include names a fragment that is
 * spread more than once. graphql-jit 0.8 keeps only the first spread of a
 * fragment in a selection set whatever its condition, where graphql-js skips
 * it and takes the next (`...F @include(if: $x) ...F @skip(if: $x)`): such
 * documents stay with graphql-js.
 */
function repeatsAConditionalSpread(document: DocumentNode): boolean {
  const spreads = new Map<string, number>();
  const conditional = new Set<string>();
  visit(document, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      spreads.set(name, (spreads.get(name) ?? 0) + 1);
      if (spread.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) {
        conditional.add(name);
      }
    },
  });
  return [...conditional].some((name) => (spreads.get(name) ?? 0) > 1);
}

/**
 * graphql-jit's errors inherit from graphql-js's but may have no
 * `extensions`, which Apollo reads; each becomes a graphql-js GraphQLError
 * with the same message, locations, path, original error and extensions.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const copy = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
  if (error.locations) {
    Object.defineProperty(copy, 'locations', { value: error.locations, enumerable: true });
  }
  return copy;
}
