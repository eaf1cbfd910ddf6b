import type { GraphQLSchema } from 'graphql';
import { schemaOf, servedSchemaOf } from './graphql/schema';
import { AccessTokenResolver } from './modules/access-tokens/access-token.resolver';
import { AccountResolver } from './modules/account/account.resolver';
import { EmailFlowsResolver } from './modules/account/email-flows.resolver';
import { ActivityResolver } from './modules/activity/activity.resolver';
import { ApiKeyResolver } from './modules/api-keys/api-key.resolver';
import { OnboardingResolver } from './modules/onboarding/onboarding.resolver';
import { InvitationResolver } from './modules/organizations/invitation.resolver';
import { MemberResolver } from './modules/organizations/member.resolver';
import { OrganizationResolver } from './modules/organizations/organization.resolver';
import { ProfileFieldsResolver, ProfileResolver } from './modules/profile/profile.resolver';
import { resolveUserReference } from './modules/users/user.resolver';
import { payloadViewerResolvers, ViewerResolver } from './modules/viewer/viewer.resolver';

/** Every resolver of the API: the one list a new feature's resolver joins. */
export const resolvers = [
  ViewerResolver,
  ...payloadViewerResolvers,
  ProfileResolver,
  ProfileFieldsResolver,
  AccessTokenResolver,
  ApiKeyResolver,
  OnboardingResolver,
  OrganizationResolver,
  MemberResolver,
  InvitationResolver,
  ActivityResolver,
  AccountResolver,
  EmailFlowsResolver,
] as const;

/** Every entity this service owns in a federated graph, with its reference resolver. */
export const references = { User: resolveUserReference } as const;

/** The API's schema (`schema.graphql` is its printout). */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return schemaOf([...resolvers]);
}

/**
 * The schema both faces execute: the API's as a Federation 2 subgraph
 * (`subgraph.graphql` is what its `_service { sdl }` answers).
 */
export async function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return servedSchemaOf(await buildApiSchema(), references);
}
