import { ApolloClient, gql, HttpLink, InMemoryCache, type TypedDocumentNode } from '@apollo/client';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, uniqueEmail } from './helpers/factories';
import { acceptById, createOrganization, invite, markVerified } from './helpers/organizations';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

interface Teams {
  viewer: {
    organizations: {
      organization: {
        id: string;
        name: string;
        members: {
          nodes: { id: string; role: string; user: { id: string }; organization: { id: string } }[];
        };
      };
    }[];
  };
}

const ORGANIZATIONS: TypedDocumentNode<Teams> = gql`
  query Teams {
    viewer {
      id
      organizations {
        id
        role
        organization {
          id
          name
          members(first: 10) {
            nodes {
              id
              role
              joinedAt
              user {
                id
                name
              }
              organization {
                id
              }
            }
          }
        }
      }
    }
  }
`;

describe("Apollo Client's normalised cache", () => {
  it('keeps two memberships of one teammate apart (OrganizationMember ids are membership ids)', async () => {
    const viewer = await signUp(server, { name: 'Viewer' });
    const orgA = await createOrganization(server, viewer.token, 'Alpha');
    const other = await signUp(server);
    const orgB = await createOrganization(server, other.token, 'Beta');
    const teammate = await signUp(server, { email: uniqueEmail('mate'), name: 'Teammate' });
    await markVerified(server, teammate.id);
    await markVerified(server, viewer.id);
    const [toA] = await invite(server, viewer.token, orgA, [teammate.email], 'admin');
    const [toB] = await invite(server, other.token, orgB, [teammate.email, viewer.email], 'member');
    await acceptById(server, teammate.token, toA!.id);
    await acceptById(server, teammate.token, toB!.id);
    const [viewerToB] = await server.sql<{ id: string }>(
      'select id from invitations where organization_id = ? and email = ?',
      [orgB, viewer.email],
    );
    await acceptById(server, viewer.token, viewerToB!.id);

    const cache = new InMemoryCache();
    const client = new ApolloClient({
      cache,
      link: new HttpLink({
        uri: `${server.url}/graphql`,
        headers: { authorization: `Bearer ${viewer.token}` },
      }),
    });
    const { data } = await client.query({
      query: ORGANIZATIONS,
      fetchPolicy: 'network-only',
    });
    expect(data).toBeDefined();

    // What the cache holds: one entry per membership of the teammate.
    const entries = cache.extract() as Record<string, { __typename?: string; role?: string }>;
    const teammateMembers = Object.entries(entries).filter(
      ([key, value]) =>
        key.startsWith('OrganizationMember:') && JSON.stringify(value).includes(teammate.id),
    );
    expect(teammateMembers).toHaveLength(2);
    expect(teammateMembers.map(([, value]) => value.role).sort()).toEqual(['admin', 'member']);

    // Read back from the cache alone: each organization keeps its own role for the teammate.
    const cached = cache.readQuery({ query: ORGANIZATIONS })!;
    const roleIn = (orgId: string) =>
      cached.viewer.organizations
        .find((m) => m.organization.id === orgId)!
        .organization.members.nodes.find((node) => node.user.id === teammate.id);
    expect(roleIn(orgA)).toMatchObject({ role: 'admin', organization: { id: orgA } });
    expect(roleIn(orgB)).toMatchObject({ role: 'member', organization: { id: orgB } });
    expect(roleIn(orgA)!.id).not.toBe(roleIn(orgB)!.id);
    client.stop();
  });
});
