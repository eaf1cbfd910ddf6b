import { ApolloArmor } from '@escape.tech/graphql-armor';
import { Errors } from '../common/errors';
import { DEMAND_CONTROL, demandControlRule } from './demand-control';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

/** Most lexical tokens in one document. */
export const MAX_TOKENS = 2000;

/**
 * Query limits, enforced during validation, before any resolver runs:
 * graphql-armor's depth, alias and directive limits, field suggestions
 * masked in production, and demand control's cost limit (the schema's
 * `@cost` / `@listSize`, computed as the Apollo Router does).
 */
export function queryLimits(options: { production: boolean }) {
  const armor = new ApolloArmor({
    maxDepth: { n: 8 },
    maxAliases: { n: 10 },
    // graphql-js's parser counts tokens itself (MAX_TOKENS, given to Apollo as
    // parseOptions); armor's copy fails inside an Apollo plugin, answered 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: 20 },
    // Costs are demand control's (demand-control.ts): the schema's @cost and
    // @listSize, the numbers a router enforces too.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: options.production },
  }).protect();
  return {
    ...armor,
    validationRules: [...armor.validationRules, demandControlRule(DEMAND_CONTROL)],
  };
}

/** Mutations that check a password or are irreversible: one per document. */
const ONCE_PER_DOCUMENT = ['changePassword', 'deleteAccount', 'createAccessToken', 'signUp'];

/**
 * Refuses a document that calls any of ONCE_PER_DOCUMENT more than once
 * (through aliases or fragments), so a single request cannot carry a burst
 * of password guesses.
 */
export const oncePerDocument: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== OperationTypeNode.MUTATION) return;
    const counts = new Map<string, number>();
    const visit = (selectionSet: SelectionSetNode, seen: Set<string>) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          counts.set(name, (counts.get(name) ?? 0) + 1);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          visit(selection.selectionSet, seen);
        } else if (!seen.has(selection.name.value)) {
          const fragment = context.getFragment(selection.name.value);
          if (fragment) visit(fragment.selectionSet, new Set([...seen, selection.name.value]));
        }
      }
    };
    visit(operation.selectionSet, new Set());
    for (const name of ONCE_PER_DOCUMENT) {
      if ((counts.get(name) ?? 0) > 1) {
        context.reportError(
          new GraphQLError(Errors.onlyOncePerDocument(name).message, { nodes: operation }),
        );
      }
    }
  },
});
