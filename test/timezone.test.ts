import { canonicalTimeZone } from '../src/modules/profile/timezone';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';

const UPDATE = 'mutation Tz($tz: String!) { updateTimezone(timezone: $tz) { timezone } }';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('updateTimezone', () => {
  it('defaults to UTC and stores a valid IANA name', async () => {
    const user = await signUp(server);
    const before = await server.graphql('{ viewer { profile { timezone } } }', {}, user.token);
    expect(before.data).toEqual({ viewer: { profile: { timezone: 'UTC' } } });

    const result = await server.graphql(UPDATE, { tz: 'America/New_York' }, user.token);
    expect(result.data).toEqual({ updateTimezone: { timezone: 'America/New_York' } });
    const [row] = await server.sql('select timezone from users where id = ?', [user.id]);
    expect(row).toEqual({ timezone: 'America/New_York' });
  });

  it.each([
    ['Asia/Calcutta', 'Asia/Kolkata'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['US/Eastern', 'America/New_York'],
    ['Europe/Kiev', 'Europe/Kyiv'],
    ['Etc/UTC', 'UTC'],
    [' Europe/Paris ', 'Europe/Paris'],
    // ECMA-402: IANA zone and link names, ASCII-case-insensitively, canonicalised.
    ['utc', 'UTC'],
    ['Zulu', 'UTC'],
    ['GMT', 'UTC'],
    ['america/new_york', 'America/New_York'],
    ['ASIA/CALCUTTA', 'Asia/Kolkata'],
    ['Etc/GMT+5', 'Etc/GMT+5'],
    // IANA's own link (since 2024b), not an abbreviation ICU made up.
    ['EST', 'America/Panama'],
  ])('stores the alias %p in canonical form %p', async (input, canonical) => {
    const user = await signUp(server);
    const result = await server.graphql(UPDATE, { tz: input }, user.token);
    expect(result.data).toEqual({ updateTimezone: { timezone: canonical } });
    const [row] = await server.sql('select timezone from users where id = ?', [user.id]);
    expect(row).toEqual({ timezone: canonical });
  });

  it.each([
    'IST',
    'ist',
    'PST',
    'SystemV/AST4',
    'UTC+5:30',
    '+05:30',
    '-0800',
    'Mars/Olympus_Mons',
    '',
    'America/New_York; drop table users',
  ])('refuses %p and changes nothing', async (input) => {
    const user = await signUp(server);
    await server.graphql(UPDATE, { tz: 'Europe/Berlin' }, user.token);
    const result = await server.graphql(UPDATE, { tz: input }, user.token);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'timezone' });
    const [row] = await server.sql('select timezone from users where id = ?', [user.id]);
    expect(row).toEqual({ timezone: 'Europe/Berlin' });
  });
});

describe('canonicalTimeZone', () => {
  it('accepts every zone the runtime lists, in any letter case, as the same zone', () => {
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      const canonical = canonicalTimeZone(zone);
      expect(canonical).not.toBeNull();
      expect(canonicalTimeZone(zone.toLowerCase())).toBe(canonical);
      expect(canonicalTimeZone(zone.toUpperCase())).toBe(canonical);
      // Canonical is a fixed point, and a name the runtime accepts.
      expect(canonicalTimeZone(canonical as string)).toBe(canonical);
      expect(
        () => new Intl.DateTimeFormat('en-US', { timeZone: canonical as string }),
      ).not.toThrow();
    }
  });

  it('maps only to names the runtime itself accepts', () => {
    for (const zone of [
      'Asia/Kolkata',
      'Europe/Kyiv',
      'America/Argentina/Buenos_Aires',
      'Pacific/Kanton',
    ]) {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone })).not.toThrow();
      expect(canonicalTimeZone(zone)).toBe(zone);
    }
  });
});
