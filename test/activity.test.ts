import { DatabaseInstant, monotonicNow } from '../src/infra/db/clock';
import { ActivityService } from '../src/modules/activity/activity.service';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';
import { recordingStatements } from './helpers/statements';

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

describe('ActivityService: the window as the session saw it', () => {
  /** The service over the server's statements, recording the ones it runs. */
  function counted(): { service: ActivityService; statements: () => string[] } {
    const recording = recordingStatements(server);
    return {
      service: new ActivityService(recording.statements),
      statements: () => recording.calls.map((call) => call.name),
    };
  }

  /**
   * Moves the user's last activity to `seconds` ago and reads it back, with
   * the database's clock, as the session would; `readMsAgo` pretends that read
   * was sent that long ago (a snapshot cached since).
   */
  async function activeAgo(userId: string, seconds: number, readMsAgo = 0) {
    const sentAt = monotonicNow() - readMsAgo;
    const [row] = await server.sql<{ last_active_at: string; now_ms: number }>(
      `update users set last_active_at = now() - make_interval(secs => ?) where id = ?
       returning last_active_at, (extract(epoch from now()) * 1000)::float8 as now_ms`,
      [seconds, userId],
    );
    return {
      userId,
      lastActiveAt: new Date(row!.last_active_at),
      readAt: new DatabaseInstant(row!.now_ms, sentAt),
    };
  }

  it('answers a ping inside the window from the snapshot, without a statement', async () => {
    const user = await signUp(server);
    const known = await activeAgo(user.id, 200);
    const { service, statements } = counted();

    const ping = await service.record(known);

    expect(ping).toEqual({
      recorded: false,
      lastActiveAt: known.lastActiveAt,
      nextRecordableAt: new Date(known.lastActiveAt.getTime() + 5 * 60 * 1000),
    });
    expect(statements()).toEqual([]);
    const events = await server.sql('select 1 from activity_events where user_id = ?', [user.id]);
    expect(events).toHaveLength(0);
  });

  it('asks the database once the window may have closed by its clock', async () => {
    const user = await signUp(server);
    const known = await activeAgo(user.id, 301);
    const { service, statements } = counted();

    const ping = await service.record(known);

    expect(ping.recorded).toBe(true);
    expect(statements()).toEqual(['account_record_activity_v1']);
    const [row] = await server.sql<{ last_active_ms: number }>(
      'select (extract(epoch from last_active_at) * 1000)::float8 as last_active_ms from users where id = ?',
      [user.id],
    );
    expect(ping.lastActiveAt.getTime()).toBe(Math.trunc(row!.last_active_ms));
  });

  it('counts the time since the snapshot was read, on the local monotonic clock', async () => {
    const user = await signUp(server);
    // Active 290 s ago by the snapshot, read "15 s ago": the window it shows
    // (10 s left at the read) may have closed since, so the database decides.
    // By its clock the ping is still inside, and nothing is recorded.
    const known = await activeAgo(user.id, 290, 15_000);
    const { service, statements } = counted();

    const ping = await service.record(known);

    expect(ping.recorded).toBe(false);
    expect(statements()).toEqual(['account_record_activity_v1', 'account_last_active_v1']);
  });
});
