import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  isInterfaceType,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type FieldNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { Directive } from 'type-graphql';

/**
 * Demand control, one definition for the router and for the service: costs
 * are declared in the schema with the Federation demand-control directives
 * (`@cost`, `@listSize`, imported through the federation `@link`), printed
 * into `subgraph.graphql` and composed into the supergraph, where the Apollo
 * Router's `demand_control` reads them; `demandControlRule` reads the same
 * directives from the schema and computes the cost the way the router's
 * `static_estimated` strategy does, with the same `listSize` and `maxCost`
 * (DEMAND_CONTROL below, which the README prints as the router's config).
 * A document the router refuses, the service refuses.
 */
export const DEMAND_CONTROL = {
  /** Router: demand_control.strategy.static_estimated.max */
  maxCost: 5000,
  /** Router: demand_control.strategy.static_estimated.list_size: a list without @listSize. */
  listSize: 10,
} as const;

/** `@cost(weight:)`: what one instance of a field (or of a type, an argument) costs. */
export function Cost(weight: number): MethodDecorator & PropertyDecorator & ClassDecorator {
  return Directive(`@cost(weight: ${weight})`);
}

export interface ListSizeOptions {
  /** How many items the list has at most; the number to put here is the limit that holds it. */
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument?: boolean;
}

/** `@listSize(...)`: how many items a list field returns. */
export function ListSize(options: ListSizeOptions): MethodDecorator & PropertyDecorator {
  const args: string[] = [];
  if (options.assumedSize !== undefined) args.push(`assumedSize: ${options.assumedSize}`);
  if (options.slicingArguments)
    args.push(`slicingArguments: ${JSON.stringify(options.slicingArguments)}`);
  if (options.sizedFields) args.push(`sizedFields: ${JSON.stringify(options.sizedFields)}`);
  if (options.requireOneSlicingArgument !== undefined)
    args.push(`requireOneSlicingArgument: ${options.requireOneSlicingArgument}`);
  return Directive(`@listSize(${args.join(', ')})`);
}

type WithDirectives = {
  astNode?: { directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined;
};

function directiveOf(element: WithDirectives, name: string): ConstDirectiveNode | undefined {
  return element.astNode?.directives?.find((d) => d.name.value === name);
}

function argumentOf(
  directive: ConstDirectiveNode | undefined,
  name: string,
): ValueNode | undefined {
  return directive?.arguments?.find((a) => a.name.value === name)?.value;
}

function intArgument(directive: ConstDirectiveNode | undefined, name: string): number | undefined {
  const value = argumentOf(directive, name);
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringsArgument(
  directive: ConstDirectiveNode | undefined,
  name: string,
): string[] | undefined {
  const value = argumentOf(directive, name);
  return value?.kind === Kind.LIST
    ? value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []))
    : undefined;
}

/** The field's @cost, else its type's, else 1 for an object, interface or union and 0 for a leaf. */
function ownCost(field: GraphQLField<unknown, unknown>): number {
  const named = getNamedType(field.type);
  return (
    intArgument(directiveOf(field, 'cost'), 'weight') ??
    intArgument(directiveOf(named, 'cost'), 'weight') ??
    (isCompositeType(named) ? 1 : 0)
  );
}

/** Arguments cost their @cost (input objects 1 plus their fields), variables nothing. */
function argumentCost(value: ValueNode, definition: GraphQLArgument | GraphQLInputField): number {
  const own = intArgument(directiveOf(definition, 'cost'), 'weight');
  const named = getNamedType(definition.type);
  if (value.kind === Kind.OBJECT && isInputObjectType(named)) {
    const fields = named.getFields();
    return value.fields.reduce((sum, field) => {
      const fieldDefinition = fields[field.name.value];
      return fieldDefinition ? sum + argumentCost(field.value, fieldDefinition) : sum;
    }, own ?? 1);
  }
  if (value.kind === Kind.LIST) {
    return value.values.reduce((sum, item) => sum + argumentCost(item, definition), own ?? 0);
  }
  if (value.kind === Kind.NULL || value.kind === Kind.VARIABLE) return 0;
  return own ?? 0;
}

/** Only literal conditions count: a variable one is charged as if included. */
function skipped(node: FieldNode): boolean {
  for (const directive of node.directives ?? []) {
    const condition = argumentOf(directive as ConstDirectiveNode, 'if');
    if (condition?.kind !== Kind.BOOLEAN) continue;
    if (directive.name.value === 'skip' && condition.value) return true;
    if (directive.name.value === 'include' && !condition.value) return true;
  }
  return false;
}

interface Sizing {
  expected: number | undefined;
  sizedFields: Set<string> | undefined;
}

/** What @listSize says of this use of a list field (slicing arguments given as literals). */
function sizingOf(field: GraphQLField<unknown, unknown>, node: FieldNode): Sizing | undefined {
  const listSize = directiveOf(field, 'listSize');
  if (!listSize) return undefined;
  const slicing = stringsArgument(listSize, 'slicingArguments') ?? [];
  const given: number[] = [];
  for (const name of slicing) {
    const literal = node.arguments?.find((a) => a.name.value === name)?.value;
    const fallback = field.args.find((a) => a.name === name)?.defaultValue;
    if (literal?.kind === Kind.INT) given.push(Number(literal.value));
    else if (typeof fallback === 'number') given.push(fallback);
  }
  const requireOne = argumentOf(listSize, 'requireOneSlicingArgument');
  if (slicing.length > 0 && (requireOne?.kind !== Kind.BOOLEAN || requireOne.value)) {
    if (given.length !== 1) {
      throw new GraphQLError(
        `Field ${field.name} needs exactly one of its slicing arguments (${slicing.join(', ')}).`,
      );
    }
  }
  const sized = stringsArgument(listSize, 'sizedFields');
  return {
    expected: given.length > 0 ? Math.max(...given) : intArgument(listSize, 'assumedSize'),
    sizedFields: sized ? new Set(sized) : undefined,
  };
}

/**
 * The static cost of an operation, as the Apollo Router's `static_estimated`
 * strategy computes it: a field costs `instances × (own cost + its
 * selections) + its arguments`, where a list's instances are its
 * @listSize (slicing argument, sized field or assumedSize), else `listSize`;
 * a mutation adds 10; `__typename` and literal `@skip(if: true)` /
 * `@include(if: false)` cost nothing. Fragments count where they are spread.
 */
export function operationCost(
  context: Pick<ValidationContext, 'getSchema' | 'getFragment'>,
  operation: OperationDefinitionNode,
  listSize: number = DEMAND_CONTROL.listSize,
): number {
  const schema = context.getSchema();
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  const selectionsCost = (
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    sizing: Sizing | undefined,
  ): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const upstream = sizing?.sizedFields?.has(selection.name.value)
          ? sizing.expected
          : undefined;
        cost += fieldCost(selection, parent, upstream);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        cost += selectionsCost(selection.selectionSet, type ?? parent, sizing);
      } else {
        const fragment = context.getFragment(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type) cost += selectionsCost(fragment.selectionSet, type, sizing);
      }
    }
    return cost;
  };

  const fieldCost = (
    node: FieldNode,
    parent: GraphQLNamedType,
    upstream: number | undefined,
  ): number => {
    if (node.name.value === '__typename' || skipped(node)) return 0;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
    const field = parent.getFields()[node.name.value];
    if (!field) return 0;
    const sizing = sizingOf(field, node);
    const instances = isListType(getNullableType(field.type))
      ? (upstream ?? sizing?.expected ?? listSize)
      : 1;
    const children = node.selectionSet
      ? selectionsCost(node.selectionSet, getNamedType(field.type), sizing)
      : 0;
    let args = 0;
    for (const argument of node.arguments ?? []) {
      const definition = field.args.find((a) => a.name === argument.name.value);
      if (definition) args += argumentCost(argument.value, definition);
    }
    return instances * (ownCost(field) + children) + args;
  };

  const base = operation.operation === OperationTypeNode.MUTATION ? 10 : 0;
  return base + selectionsCost(operation.selectionSet, root, undefined);
}

/** The cost of a document's costliest operation (for tests, tools and the README's numbers). */
export function documentCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  listSize: number = DEMAND_CONTROL.listSize,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  const context = { getSchema: () => schema, getFragment: (name: string) => fragments.get(name) };
  let cost = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      cost = Math.max(cost, operationCost(context, definition, listSize));
    }
  }
  return cost;
}

/**
 * A validation rule: refuses, before anything runs, an operation whose
 * static cost (`operationCost`) is above `maxCost`.
 */
export function demandControlRule(options: { maxCost: number; listSize: number }): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      let cost: number;
      try {
        cost = operationCost(context, operation, options.listSize);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        context.reportError(error);
        return;
      }
      if (cost > options.maxCost) {
        context.reportError(
          new GraphQLError(
            `The operation's estimated cost, ${cost}, is above the limit of ${options.maxCost}.`,
            { nodes: operation },
          ),
        );
      }
    },
  });
}
