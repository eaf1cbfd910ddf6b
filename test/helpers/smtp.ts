/**
 * A real SMTP server for tests (smtp-server, by nodemailer's authors) on a
 * free port; every message is parsed with mailparser. It offers neither
 * STARTTLS nor AUTH, so nodemailer speaks plain SMTP to it.
 *
 *   const smtp = await startSmtpServer();
 *   const server = await startTestServer(smtp.env());
 *   const mail = await smtp.nextMessageTo('ada@example.com');
 *   const token = linkToken(mail.text);
 */
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** RCPT TO addresses, as the client sent them. */
  envelopeTo: string[];
  from: string | undefined;
  to: string;
  subject: string;
  text: string;
  html: string | false;
  messageId: string | undefined;
}

/**
 * accept: 250. tempfail: 451 at RCPT TO (try again later). reject: 550 at
 * RCPT TO (no such user). The `stop()`/`start()` pair is an outage.
 */
export type SmtpMode = 'accept' | 'tempfail' | 'reject';

export interface TestSmtpServer {
  readonly port: number;
  mode: SmtpMode;
  /** Every message accepted, in order. */
  readonly messages: ReceivedMail[];
  /** RCPT TO refusals answered in tempfail/reject mode (one per delivery attempt). */
  readonly refused: number;
  /** The environment that points a test server at this SMTP server (fast retries, fast polling). */
  env(): Record<string, string>;
  /** The next message to `address` not yet taken by an earlier call (received or to come). */
  nextMessageTo(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  /** Every message to `address` so far. */
  messagesTo(address: string): ReceivedMail[];
  /** Resolves once `count` messages in all have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Stops listening and cuts open connections (an outage: connection refused). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** The one-time code of the first link in a message's text. */
export function linkToken(text: string): string {
  const match = /https?:\/\/\S+?[?&]token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match?.[1]) throw new Error('no link with a token in the message');
  return decodeURIComponent(match[1]);
}

/** The first link in a message's text. */
export function linkIn(text: string): string {
  const match = /https?:\/\/\S+/.exec(text);
  if (!match) throw new Error('no link in the message');
  return match[0];
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  let refused = 0;
  let port = 0;
  let server: SMTPServer | undefined;
  const sockets = new Set<Socket>();

  const state = { mode: 'accept' as SmtpMode };
  const matches = (address: string) => (m: ReceivedMail) =>
    m.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase());

  const received = (m: ReceivedMail) => {
    messages.push(m);
    const index = waiters.findIndex((w) => w.match(m));
    if (index >= 0) {
      const [waiter] = waiters.splice(index, 1);
      taken.add(m);
      waiter!.resolve(m);
    }
  };

  const create = () =>
    new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      size: 1024 * 1024,
      onRcptTo(_address, _session, callback) {
        if (state.mode === 'accept') return callback();
        refused++;
        const error = new Error(
          state.mode === 'tempfail' ? 'Mailbox busy, try again later' : 'No such user here',
        ) as Error & { responseCode: number };
        error.responseCode = state.mode === 'tempfail' ? 451 : 550;
        callback(error);
      },
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (parsed) => {
            const to = [parsed.to ?? []]
              .flat()
              .flatMap((a) => a.value.map((v) => v.address ?? ''))
              .join(',');
            received({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              from: parsed.from?.value[0]?.address,
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: parsed.html ?? false,
              messageId: parsed.messageId,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });

  const listen = async () => {
    const s = create();
    s.on('error', () => undefined); // clients that hang up are not test failures
    s.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };

  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return state.mode;
    },
    set mode(mode: SmtpMode) {
      state.mode = mode;
    },
    messages,
    get refused() {
      return refused;
    },
    env: () => ({
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      MAIL_FROM: 'Account <no-reply@account.test>',
      APP_URL: 'https://app.account.test',
      MAIL_RETRY_DELAY_SECONDS: '1',
      MAIL_MAX_ATTEMPTS: '4',
      JOBS_POLL_INTERVAL_MS: '500',
      SMTP_CONNECTION_TIMEOUT_MS: '5000',
      SMTP_GREETING_TIMEOUT_MS: '5000',
      SMTP_SOCKET_TIMEOUT_MS: '10000',
      JOBS_STOP_TIMEOUT_MS: '5000',
    }),
    nextMessageTo(address, timeoutMs = 20_000) {
      const match = matches(address);
      const ready = messages.find((m) => !taken.has(m) && match(m));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (m: ReceivedMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no mail to ${address} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    messagesTo: (address) => messages.filter(matches(address)),
    async waitForCount(count, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > end) {
          throw new Error(`expected ${count} messages, got ${messages.length}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start: listen,
  };
}
