import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';

const PING = 'mutation { recordActivity { recorded lastActiveAt nextRecordableAt } }';
interface Ping {
  recordActivity: { recorded: boolean; lastActiveAt: string; nextRecordableAt: string };
}

let server: TestServer;
let second: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  second = await startTestServer(); // another instance on the same database
});
afterAll(async () => {
  await Promise.all([server.close(), second.close()]);
});

describe('recordActivity', () => {
  it('records the first ping, then answers inside the window without writing', async () => {
    const user = await signUp(server);
    const first = await server.graphql<Ping>(PING, {}, user.token);
    const again = await server.graphql<Ping>(PING, {}, user.token);

    const a = first.data!.recordActivity;
    const b = again.data!.recordActivity;
    expect(a.recorded).toBe(true);
    expect(b).toEqual({ ...a, recorded: false });
    expect(Date.parse(a.nextRecordableAt) - Date.parse(a.lastActiveAt)).toBe(5 * 60 * 1000);

    const events = await server.sql('select recorded_at from activity_events where user_id = ?', [
      user.id,
    ]);
    expect(events).toHaveLength(1);
    const profile = await server.graphql<{ viewer: { profile: { lastActiveAt: string } } }>(
      '{ viewer { profile { lastActiveAt } } }',
      {},
      user.token,
    );
    expect(profile.data!.viewer.profile.lastActiveAt).toBe(a.lastActiveAt);
  });

  it('records exactly one of 50 concurrent pings spread over two instances', async () => {
    const user = await signUp(server);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? second : server).graphql<Ping>(PING, {}, user.token),
      ),
    );

    expect(results.every((r) => r.errors === undefined)).toBe(true);
    expect(results.filter((r) => r.data!.recordActivity.recorded)).toHaveLength(1);
    const events = await server.sql('select 1 from activity_events where user_id = ?', [user.id]);
    expect(events).toHaveLength(1);
  });

  it('records again once the window has passed', async () => {
    const user = await signUp(server);
    await server.graphql<Ping>(PING, {}, user.token);
    await server.sql(
      "update users set last_active_at = last_active_at - interval '301 seconds' where id = ?",
      [user.id],
    );
    const later = await server.graphql<Ping>(PING, {}, user.token);
    expect(later.data!.recordActivity.recorded).toBe(true);
    const events = await server.sql('select 1 from activity_events where user_id = ?', [user.id]);
    expect(events).toHaveLength(2);
  });

  it('needs authentication', async () => {
    const result = await server.graphql(PING);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
