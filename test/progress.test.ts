import { startTestServer, type TestServer } from './helpers/app';
import { signUp, uniqueEmail } from './helpers/factories';

const PROGRESS = /* GraphQL */ `
  {
    viewer {
      onboardingProgress {
        steps {
          id
          title
          completed
        }
        completedCount
        totalCount
        percentComplete
        nextStep {
          id
        }
      }
    }
  }
`;
interface Progress {
  viewer: {
    onboardingProgress: {
      steps: { id: string; title: string; completed: boolean }[];
      completedCount: number;
      totalCount: number;
      percentComplete: number;
      nextStep: { id: string } | null;
    };
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('Viewer.onboardingProgress', () => {
  it('derives each of the 5 steps from the account data', async () => {
    const user = await signUp(server);
    const read = async () =>
      (await server.graphql<Progress>(PROGRESS, {}, user.token)).data!.viewer.onboardingProgress;
    const done = async () => (await read()).steps.filter((s) => s.completed).map((s) => s.id);

    const fresh = await read();
    expect(fresh.steps.map((s) => s.id)).toEqual([
      'profile',
      'timezone',
      'onboarding',
      'api_key',
      'invite_teammate',
    ]);
    expect(fresh.steps.every((s) => s.title.length > 0 && !s.completed)).toBe(true);
    expect(fresh).toMatchObject({
      completedCount: 0,
      totalCount: 5,
      percentComplete: 0,
      nextStep: { id: 'profile' },
    });

    await server.graphql(
      'mutation { updateProfile(input: {jobTitle: "PM"}) { id } }',
      {},
      user.token,
    );
    expect(await done()).toEqual(['profile']);

    await server.graphql(
      'mutation { updateTimezone(timezone: "Europe/Paris") { id } }',
      {},
      user.token,
    );
    expect(await done()).toEqual(['profile', 'timezone']);

    await server.graphql(
      `mutation { completeOnboarding(input: {fullName: "J", jobTitle: "PM", company: "C", useCase: "U",
         teamSize: "small", prdStyle: "lean", interests: []}) { onboarding { completed } } }`,
      {},
      user.token,
    );
    expect(await done()).toEqual(['profile', 'timezone', 'onboarding']);

    await server.graphql(
      'mutation { addApiKey(input: {provider: openai, key: "sk-proj-1234567890abcdef"}) { id } }',
      {},
      user.token,
    );
    const four = await read();
    expect(four).toMatchObject({
      completedCount: 4,
      percentComplete: 80,
      nextStep: { id: 'invite_teammate' },
    });

    await server.graphql(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "J", jobTitle: "PM", company: "C",
         useCase: "U", teamSize: "small", prdStyle: "lean", interests: [], createOrg: true, inviteEmails: $invite})
         { onboarding { completed } } }`,
      { invite: [uniqueEmail('mate')] },
      user.token,
    );
    expect(await read()).toMatchObject({ completedCount: 5, percentComplete: 100, nextStep: null });

    // Derived, not stored: removing the key undoes its step.
    await server.sql('delete from api_keys where user_id = ?', [user.id]);
    expect(await read()).toMatchObject({ completedCount: 4, nextStep: { id: 'api_key' } });
  });
});
