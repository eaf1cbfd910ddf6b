/**
 * The transactional outbox and the job queue, against a real SMTP server
 * (smtp-server) and the real PostgreSQL: a message commits or rolls back
 * with the caller's transaction, is delivered once with a stable
 * Message-ID, survives an SMTP outage and a restart of the service, ends
 * `failed` after bounded attempts, and two instances deliver each message
 * exactly once.
 */
import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { linkToken, startSmtpServer, type TestSmtpServer } from './helpers/smtp';
import type { MailRequest } from '../src/infra/mail/mail';
import { loadConfig } from '../src/config';

let seq = 0;
const address = () => `outbox-${Date.now().toString(36)}-${++seq}@example.com`;

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  secret_sealed: string | null;
  recipient: string;
}

async function enqueue(server: TestServer, request: MailRequest): Promise<string> {
  return server.em().transactional((em) => server.app.deps.mail.enqueueMail(em, request));
}

async function row(server: TestServer, id: string): Promise<OutboxRow | undefined> {
  const [found] = await server.sql<OutboxRow>(
    'select id, status, attempts, last_error, secret_sealed, recipient from mail_outbox where id = ?',
    [id],
  );
  return found;
}

/** Waits (bounded, generously) until the row is in `status`. */
async function until(
  server: TestServer,
  id: string,
  check: (r: OutboxRow | undefined) => boolean,
  timeoutMs = 30_000,
): Promise<OutboxRow | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const current = await row(server, id);
    if (check(current)) return current;
    if (Date.now() > end) throw new Error(`outbox row ${id} stuck: ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('mail outbox with one instance', () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ ...smtp.env(), DATABASE_URL: await createScratchDatabase() });
  });
  afterAll(async () => {
    await server.close();
    await smtp.stop();
  });
  beforeEach(() => {
    smtp.mode = 'accept';
  });

  it('delivers a committed message with its link, a text part and the Message-ID <outboxId@host>', async () => {
    const to = address();
    const id = await enqueue(server, {
      template: 'test',
      to,
      data: { n: '7' },
      link: { path: '/verify-email', token: 'code-123' },
    });
    const mail = await smtp.nextMessageTo(to);
    expect(mail.subject).toBe('Test message 7 from Account');
    expect(mail.from).toBe('no-reply@account.test');
    expect(mail.messageId).toBe(`<${id}@app.account.test>`);
    expect(mail.text).toContain('https://app.account.test/verify-email?token=code-123');
    expect(linkToken(mail.text)).toBe('code-123');
    const delivered = await until(server, id, (r) => r?.status === 'sent');
    expect(delivered).toMatchObject({ attempts: 1, last_error: null, secret_sealed: null });
  });

  it('keeps the code sealed until delivery: the row never holds it in clear', async () => {
    smtp.mode = 'tempfail';
    const to = address();
    const id = await enqueue(server, {
      template: 'test',
      to,
      link: { path: '/verify-email', token: 'plain-secret-code' },
    });
    const pending = await row(server, id);
    expect(pending?.status).toBe('pending');
    expect(pending?.secret_sealed).toBeTruthy();
    expect(pending?.secret_sealed).not.toContain('plain-secret-code');
    const all = await server.sql<{ t: string }>('select mail_outbox::text as t from mail_outbox');
    expect(all.some((r) => r.t.includes('plain-secret-code'))).toBe(false);
    smtp.mode = 'accept';
    const mail = await smtp.nextMessageTo(to);
    expect(linkToken(mail.text)).toBe('plain-secret-code');
  });

  it('sends nothing when the caller rolls back: row and job go with the transaction', async () => {
    const lost = address();
    const kept = address();
    let outboxId = '';
    await expect(
      server.em().transactional(async (em) => {
        outboxId = await server.app.deps.mail.enqueueMail(em, { template: 'test', to: lost });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const keptId = await enqueue(server, { template: 'test', to: kept });
    await smtp.nextMessageTo(kept);
    await until(server, keptId, (r) => r?.status === 'sent');
    expect(await row(server, outboxId)).toBeUndefined();
    expect(smtp.messagesTo(lost)).toHaveLength(0);
    const jobs = await server.sql(
      "select 1 from pgboss.job where name = 'mail_deliver' and data->>'outboxId' = ?",
      [outboxId],
    );
    expect(jobs).toHaveLength(0);
  });

  it('refuses to enqueue outside a transaction', async () => {
    await expect(
      server.app.deps.mail.enqueueMail(server.em(), { template: 'test', to: address() }),
    ).rejects.toThrow(/transactional/);
  });

  it('retries a temporary refusal and delivers once the server accepts', async () => {
    smtp.mode = 'tempfail';
    const to = address();
    const refusedBefore = smtp.refused;
    const id = await enqueue(server, { template: 'test', to });
    const waiting = await until(server, id, (r) => (r?.attempts ?? 0) >= 1 && !!r?.last_error);
    expect(waiting?.status).toBe('pending');
    expect(waiting?.last_error).toBe('SMTP EENVELOPE RCPT 451');
    expect(smtp.refused).toBeGreaterThan(refusedBefore);
    smtp.mode = 'accept';
    await smtp.nextMessageTo(to);
    const sent = await until(server, id, (r) => r?.status === 'sent');
    expect(sent!.attempts).toBeGreaterThanOrEqual(2);
    expect(smtp.messagesTo(to)).toHaveLength(1);
  });

  it('marks a message the server rejects (5xx) failed at once, with the reason and no address', async () => {
    smtp.mode = 'reject';
    const to = address();
    const id = await enqueue(server, {
      template: 'test',
      to,
      link: { path: '/verify-email', token: 'never-sent' },
    });
    const failed = await until(server, id, (r) => r?.status === 'failed');
    expect(failed).toMatchObject({
      attempts: 1,
      last_error: 'SMTP EENVELOPE RCPT 550',
      secret_sealed: null,
    });
    expect(smtp.messagesTo(to)).toHaveLength(0);
  });

  it('gives up after MAIL_MAX_ATTEMPTS temporary failures: failed, visible, logged', async () => {
    smtp.mode = 'tempfail';
    const to = address();
    const id = await enqueue(server, { template: 'test', to });
    // MAIL_MAX_ATTEMPTS=4 with 1 s back-off (1, 2, 4 s): well within the bound.
    const failed = await until(server, id, (r) => r?.status === 'failed', 60_000);
    expect(failed).toMatchObject({ attempts: 4, last_error: 'SMTP EENVELOPE RCPT 451' });
    smtp.mode = 'accept';
  });

  it('does not deliver a message past its deliverWithinSeconds', async () => {
    smtp.mode = 'tempfail';
    const to = address();
    const id = await enqueue(server, { template: 'test', to, deliverWithinSeconds: 1 });
    await until(server, id, (r) => (r?.attempts ?? 0) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    smtp.mode = 'accept';
    const failed = await until(server, id, (r) => r?.status === 'failed');
    expect(failed?.last_error).toBe('expired before delivery');
    expect(smtp.messagesTo(to)).toHaveLength(0);
  });

  it('dropForUser deletes an account’s messages and cancels their jobs', async () => {
    smtp.mode = 'tempfail';
    const to = address();
    const userId = `user_${Date.now().toString(36)}`;
    const id = await enqueue(server, { template: 'test', to, userId });
    await until(server, id, (r) => (r?.attempts ?? 0) >= 1);
    const dropped = await server
      .em()
      .transactional((em) => server.app.deps.mail.dropForUser(em, userId));
    expect(dropped).toBe(1);
    expect(await row(server, id)).toBeUndefined();
    smtp.mode = 'accept';
    const other = address();
    await enqueue(server, { template: 'test', to: other });
    await smtp.nextMessageTo(other);
    expect(smtp.messagesTo(to)).toHaveLength(0);
  });

  it('runs a job registered with jobs.work after start, on the caller’s transaction', async () => {
    const seen: string[] = [];
    await server.app.deps.jobs.work<{ value: string }>('test_echo', async ({ value }) => {
      seen.push(value);
      return Promise.resolve();
    });
    await server
      .em()
      .transactional(async (em) => {
        await server.app.deps.jobs.send(em, 'test_echo', { value: 'rolled back' });
        throw new Error('no');
      })
      .catch(() => undefined);
    await server.em().transactional(async (em) => {
      await server.app.deps.jobs.send(em, 'test_echo', { value: 'committed' });
    });
    const end = Date.now() + 20_000;
    while (seen.length === 0 && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toEqual(['committed']);
  });

  it('records a cron schedule once, in UTC', async () => {
    await server.app.deps.jobs.work('test_cron', () => Promise.resolve());
    await server.app.deps.jobs.schedule('test_cron', '17 3 * * *');
    const rows = await server.sql<{ cron: string; timezone: string }>(
      "select cron, timezone from pgboss.schedule where name = 'test_cron'",
    );
    expect(rows).toEqual([{ cron: '17 3 * * *', timezone: 'UTC' }]);
  });
});

describe('mail outbox across instances and restarts', () => {
  let smtp: TestSmtpServer;
  let databaseUrl: string;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    databaseUrl = await createScratchDatabase();
  });
  afterAll(async () => {
    await smtp.stop();
  });

  it('delivers a message queued during an SMTP outage after the outage, across a restart', async () => {
    await smtp.stop();
    const to = address();
    const first = await startTestServer({ ...smtp.env(), DATABASE_URL: databaseUrl });
    let id: string;
    try {
      id = await enqueue(first, { template: 'test', to });
      await until(first, id, (r) => (r?.attempts ?? 0) >= 1 && !!r?.last_error);
    } finally {
      await first.close();
    }
    await smtp.start();
    const second = await startTestServer({ ...smtp.env(), DATABASE_URL: databaseUrl });
    try {
      const mail = await smtp.nextMessageTo(to, 60_000);
      expect(mail.messageId).toBe(`<${id}@app.account.test>`);
      await until(second, id, (r) => r?.status === 'sent');
      expect(smtp.messagesTo(to)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('two instances on one database deliver each of 60 messages exactly once', async () => {
    const env = { ...smtp.env(), DATABASE_URL: databaseUrl };
    const [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
    try {
      const batch = `multi-${Date.now().toString(36)}`;
      const recipients = Array.from({ length: 60 }, (_, i) => `${batch}-${i}@example.com`);
      const ids = await Promise.all(
        recipients.map((to, i) => enqueue(i % 2 === 0 ? a : b, { template: 'test', to })),
      );
      const mine = () => smtp.messages.filter((m) => m.envelopeTo[0]?.startsWith(batch));
      const end = Date.now() + 90_000;
      while (mine().length < 60 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Anything doubled would arrive within a few polls more.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const received = mine();
      expect(received).toHaveLength(60);
      expect(new Set(received.map((m) => m.messageId)).size).toBe(60);
      expect(new Set(received.map((m) => m.envelopeTo[0])).size).toBe(60);
      const rows = await a.sql<{ status: string; n: string }>(
        'select status, count(*) as n from mail_outbox where id in (?) group by status',
        [ids],
      );
      expect(rows).toEqual([{ status: 'sent', n: '60' }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 180_000);
});

describe('mail configuration', () => {
  it('refuses production without SMTP_URL unless MAIL_TRANSPORT=log is said', () => {
    const base = {
      NODE_ENV: 'production',
      MASTER_KEYS: `k1:${Buffer.alloc(32).toString('base64')}`,
    };
    expect(() => loadConfig(base)).toThrow(/SMTP_URL is required in production/);
    expect(loadConfig({ ...base, MAIL_TRANSPORT: 'log' }).mail).toMatchObject({
      transport: 'log',
      logLinks: false,
    });
    expect(() => loadConfig({ ...base, SMTP_URL: 'smtp://relay:587' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ SMTP_URL: 'http://relay' })).toThrow(/SMTP_URL must be/);
    expect(loadConfig({}).mail).toMatchObject({ transport: 'log', logLinks: true });
  });

  it('without SMTP_URL outside production, writes one log line per message with the link', async () => {
    const lines: string[] = [];
    // Its own database: the worker's holds mail jobs other files' servers queued and never
    // delivered, which this server would deliver (and log) before the test's own message.
    const server = await startTestServer(
      {
        LOG_LEVEL: 'info',
        JOBS_POLL_INTERVAL_MS: '500',
        DATABASE_URL: await createScratchDatabase(),
      },
      { logLines: lines },
    );
    try {
      const to = address();
      const id = await enqueue(server, {
        template: 'test',
        to,
        link: { path: '/verify-email', token: 'dev-code' },
      });
      await until(server, id, (r) => r?.status === 'sent');
      const line = lines.find((l) => l.includes(id));
      expect(line).toBeDefined();
      const parsed = JSON.parse(line!) as { mail: Record<string, string>; msg: string };
      expect(parsed.mail).toMatchObject({
        to,
        link: 'http://localhost:4000/verify-email?token=dev-code',
      });
      expect(parsed.msg).toMatch(/development log line with the live link/);
      // The delivery's own lines carry neither the address nor the link.
      expect(lines.filter((l) => l.includes('dev-code'))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
