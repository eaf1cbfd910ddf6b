import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from '../modules/account/account.resolver';
import { ActivityResolver } from '../modules/activity/activity.resolver';
import { ApiKeyResolver } from '../modules/api-keys/api-key.resolver';
import { AuthResolver } from '../modules/auth/auth.resolver';
import { OnboardingResolver } from '../modules/onboarding/onboarding.resolver';
import {
  OrganizationResolver,
  ViewerOrganizationsResolver,
} from '../modules/organizations/organization.resolver';
import { PlanResolver } from '../modules/plans/plan.resolver';
import { ProfileFieldsResolver, ProfileResolver } from '../modules/users/profile.resolver';
import { ViewerResolver } from '../modules/viewer/viewer.resolver';
import { authChecker } from './auth-checker';
import { refuseUnstorableText } from './storable-text';

export const resolvers = [
  ViewerResolver,
  ProfileResolver,
  ProfileFieldsResolver,
  AuthResolver,
  ApiKeyResolver,
  OnboardingResolver,
  ViewerOrganizationsResolver,
  OrganizationResolver,
  PlanResolver,
  ActivityResolver,
  AccountResolver,
] as const;

export async function buildGraphQLSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: true, stopAtFirstError: false },
    emitSchemaFile: false,
  });
  return refuseUnstorableText(schema);
}

/** The SDL committed as `schema.graphql`: sorted, so diffs show real changes. */
export function printGraphQLSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
