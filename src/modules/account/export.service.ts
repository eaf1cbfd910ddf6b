import type { ClientInfo } from '../../auth/client';
import { SECURITY_EVENT_RETENTION_DAYS, SecurityEvent } from '../../auth/security-event.entity';
import { SecurityLog } from '../../auth/security-log';
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ActivityEvent } from '../activity/activity-event.entity';
import { ApiKey } from '../api-keys/api-key.entity';
import { presentApiKey, type StoredApiKey } from '../api-keys/api-key.service';
import type { KeyRing } from '../api-keys/key-ring';
import type { LimitName } from '../../config';
import type { RateLimits } from '../../infra/rate-limits';
import type { Log } from '../../infra/logger';
import { transactionCursor, type PreparedStatements, type RowCursor } from '../../infra/db/sql';
import { AccessToken } from '../../auth/access-token.entity';
import { Onboarding } from '../onboarding/onboarding.entity';
import { statusOf, type StoredOnboarding } from '../onboarding/onboarding.service';
import {
  Invitation,
  Membership,
  Organization,
  type InvitationStatus,
} from '../organizations/organization.entity';
import { visibleStatus } from '../organizations/organization.types';
import { DEFAULT_TIMEZONE, User } from '../../users/user.entity';
import { AppError, Errors } from '../../common/errors';
import { jsonChunks, StreamedList } from '../../common/json-stream';
import { accountOwner, findAccount, lockAccount } from '../../users/account-lock';
import { isoSeconds } from '../../common/time';
import { activityKeptSince, deadTokensSince, mailKeptSince } from './retention';
import { MailOutbox } from '../../infra/mail/mail-outbox.entity';
import { OneTimeCode } from '../../users/one-time-code.entity';

/** Timestamps arrive as milliseconds since the epoch (`selectAs`, sql.ts). */
const iso = (ms: number) => isoSeconds(new Date(ms));
const optionalIso = (ms: number | null) => (ms === null ? null : iso(ms));
const optionalDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A row's timestamps as numbers (milliseconds since the epoch). */
type Millis<T> = {
  [K in keyof T]: T[K] extends Date ? number : T[K] extends Date | null ? number | null : T[K];
};

export const EXPORT_FORMAT_VERSION = 1;

/** Rows per cursor round trip: what one export holds of a list at a time. */
export const EXPORT_BATCH_ROWS = 500;

/**
 * The most JSON the GraphQL face returns in one `exportData` answer (1 MiB):
 * GraphQL builds its whole response in memory, so a larger export is
 * refused there and served by the streamed download,
 * `GET /api/user/data-export`, which holds one batch at a time.
 */
export const GRAPHQL_EXPORT_MAX_BYTES = 1024 * 1024;

/** Writes the export's JSON text (chunks, in order) somewhere; resolves once all is written. */
export type ExportSink<T> = (chunks: AsyncIterable<string>) => Promise<T>;

type UserRow = Millis<
  Pick<
    User,
    | 'id'
    | 'email'
    | 'name'
    | 'jobTitle'
    | 'bio'
    | 'avatarUrl'
    | 'emailVerified'
    | 'plan'
    | 'createdAt'
    | 'updatedAt'
    | 'preferredStyle'
    | 'timezone'
    | 'lastActiveAt'
  >
>;
type TokenRow = Millis<
  Pick<
    AccessToken,
    | 'id'
    | 'name'
    | 'createdAt'
    | 'lastUsedAt'
    | 'lastUsedIp'
    | 'lastUsedUserAgent'
    | 'expiresAt'
    | 'scopes'
    | 'revokedAt'
  >
>;
type SecurityEventRow = Millis<
  Pick<SecurityEvent, 'id' | 'type' | 'occurredAt' | 'ip' | 'userAgent' | 'subjectId'>
>;
type OnboardingRow = Millis<StoredOnboarding>;
type ApiKeyRow = Millis<StoredApiKey>;
interface MembershipRow {
  id: string;
  role: Membership['role'];
  createdAt: number;
  organizationId: string;
  organizationName: string;
  organizationCreatedAt: number;
}
interface InvitationRow {
  id: string;
  organizationId: string;
  organizationName: string;
  email: string;
  role: Invitation['role'];
  status: InvitationStatus;
  createdAt: number;
  expiresAt: Date;
}
type EventRow = Millis<Pick<ActivityEvent, 'recordedAt'>>;
type PendingChangeRow = Millis<Pick<OneTimeCode, 'email' | 'createdAt' | 'expiresAt'>>;
type MessageRow = Millis<
  Pick<MailOutbox, 'template' | 'recipient' | 'status' | 'createdAt' | 'sentAt'>
>;

/** The export's statements, built once per process from the entities' metadata. */
interface ExportStatements {
  user: string;
  onboarding: string;
  apiKeys: string;
  tokens: string;
  memberships: string;
  sent: string;
  received: string;
  events: string;
  securityEvents: string;
  pendingChange: string;
  messages: string;
}

const built = new WeakMap<PreparedStatements, ExportStatements>();

function exportStatements(statements: PreparedStatements): ExportStatements {
  const cached = built.get(statements);
  if (cached) return cached;
  const u = statements.columns(User);
  const ob = statements.columns(Onboarding);
  const k = statements.columns(ApiKey);
  const t = statements.columns(AccessToken);
  const m = statements.columns(Membership);
  const o = statements.columns(Organization);
  const i = statements.columns(Invitation);
  const e = statements.columns(ActivityEvent);
  const c = statements.columns(OneTimeCode);
  const mo = statements.columns(MailOutbox);
  const se = statements.columns(SecurityEvent);
  // Each list in a total order (the id breaks ties), so that two reads of
  // one list in the snapshot (organizations, memberships) agree.
  const result: ExportStatements = {
    user: `select ${u.selectAs('u', [
      'id',
      'email',
      'name',
      'jobTitle',
      'bio',
      'avatarUrl',
      'emailVerified',
      'plan',
      'createdAt',
      'updatedAt',
      'preferredStyle',
      'timezone',
      'lastActiveAt',
    ])} from ${u.table} u where u.${u.column('id')} = $1`,
    onboarding: `select ${ob.selectAs('ob', [
      'company',
      'useCase',
      'teamSize',
      'prdStyle',
      'interests',
      'completedAt',
    ])} from ${ob.table} ob where ob.${ob.column('user')} = $1`,
    apiKeys: `select ${k.selectAs('k', [
      'id',
      'provider',
      'name',
      'keyVersion',
      'iv',
      'ciphertext',
      'authTag',
      'checkStatus',
      'statusReason',
      'lastValidatedAt',
      'createdAt',
      'updatedAt',
    ])} from ${k.table} k where k.${k.column('user')} = $1 order by k.${k.column('provider')}`,
    tokens: `select ${t.selectAs('t', [
      'id',
      'name',
      'createdAt',
      'lastUsedAt',
      'lastUsedIp',
      'lastUsedUserAgent',
      'expiresAt',
      'scopes',
      'revokedAt',
    ])}
               from ${t.table} t where t.${t.column('user')} = $1
                and (t.${t.column('revokedAt')} is null or t.${t.column('revokedAt')} >= $2)
                and (t.${t.column('expiresAt')} is null or t.${t.column('expiresAt')} >= $2)
              order by t.${t.column('createdAt')}, t.${t.column('id')}`,
    memberships: `select ${m.selectAs('m', ['id', 'role', 'createdAt'])},
                         ${o.selectAs('o', ['id', 'name', 'createdAt'], 'organization:')}
                    from ${m.table} m join ${o.table} o on o.${o.column('id')} = m.${m.column('organization')}
                   where m.${m.column('user')} = $1
                   order by m.${m.column('createdAt')}, m.${m.column('id')}`,
    sent: `select ${i.selectAs('i', ['id', 'email', 'role', 'status', 'createdAt', 'expiresAt'])},
                  i.${i.column('organization')} as "organization:id"
             from ${i.table} i where i.${i.column('invitedBy')} = $1
            order by i.${i.column('createdAt')}, i.${i.column('id')}`,
    received: `select ${i.selectAs('i', ['id', 'email', 'role', 'status', 'createdAt', 'expiresAt'])},
                      ${o.selectAs('o', ['id', 'name'], 'organization:')}
                 from ${i.table} i join ${o.table} o on o.${o.column('id')} = i.${i.column('organization')}
                where i.${i.column('email')} = $1
                order by i.${i.column('createdAt')}, i.${i.column('id')}`,
    events: `select ${e.selectAs('e', ['recordedAt'])} from ${e.table} e
              where e.${e.column('user')} = $1 and e.${e.column('recordedAt')} >= $2
              order by e.${e.column('recordedAt')}, e.${e.column('id')}`,
    securityEvents: `select ${se.selectAs('se', ['id', 'type', 'occurredAt', 'ip', 'userAgent', 'subjectId'])}
                       from ${se.table} se where se.${se.column('user')} = $1
                        and se.${se.column('occurredAt')} >= $2
                      order by se.${se.column('seq')}`,
    // An email change waiting for its confirmation (at most one is live).
    pendingChange: `select ${c.selectAs('c', ['email', 'createdAt', 'expiresAt'])} from ${c.table} c
                     where c.${c.column('user')} = $1 and c.${c.column('purpose')} = 'email_change'
                       and c.${c.column('usedAt')} is null and c.${c.column('supersededAt')} is null
                       and c.${c.column('expiresAt')} > $2
                     limit 1`,
    messages: `select ${mo.selectAs('mo', ['template', 'recipient', 'status', 'createdAt', 'sentAt'])}
                 from ${mo.table} mo where mo.${mo.column('userId')} = $1
                  and (mo.${mo.column('status')} = 'pending' or mo.${mo.column('createdAt')} >= $2)
                order by mo.${mo.column('createdAt')}, mo.${mo.column('id')}`,
  };
  built.set(statements, result);
  return result;
}

/** `organization:id` → `organizationId`: the joined columns as the rows' own fields. */
function membershipRow(row: Record<string, unknown>): MembershipRow {
  return {
    id: row['id'] as string,
    role: row['role'] as Membership['role'],
    createdAt: row['createdAt'] as number,
    organizationId: row['organization:id'] as string,
    organizationName: row['organization:name'] as string,
    organizationCreatedAt: row['organization:createdAt'] as number,
  };
}

function invitationRow(row: Record<string, unknown>): InvitationRow {
  return {
    id: row['id'] as string,
    organizationId: row['organization:id'] as string,
    organizationName: row['organization:name'] as string,
    email: row['email'] as string,
    role: row['role'] as Invitation['role'],
    status: row['status'] as InvitationStatus,
    createdAt: row['createdAt'] as number,
    // A Date: visibleStatus compares it with now.
    expiresAt: new Date(row['expiresAt'] as number),
  };
}

async function allRows<Row>(batches: AsyncIterable<Row[]>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of batches) rows.push(...batch);
  return rows;
}

/**
 * The GDPR export: every piece of data held about the user, read in one
 * REPEATABLE READ snapshot, written as it is read. Provider keys appear
 * masked; no password hash, token hash or ciphertext is ever selected into
 * it (the keys' ciphertext is read only to mask them).
 *
 * Lists are read through a cursor (`transactionCursor`, sql.ts) as plain
 * rows, `EXPORT_BATCH_ROWS` at a time, and turned into JSON text batch by
 * batch (`jsonChunks`): what one export holds does not grow with the number
 * of rows. The text is byte for byte what `JSON.stringify` gave of the
 * document built from entities before (test/export-stream.test.ts).
 */
export class ExportService {
  constructor(
    private readonly em: EntityManager,
    private readonly statements: PreparedStatements,
    private readonly keyRing: KeyRing,
    private readonly logger: Log,
    private readonly limits: RateLimits<LimitName>,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
  ) {}

  /**
   * The export as one JSON object (GraphQL's `exportData`), at most
   * `GRAPHQL_EXPORT_MAX_BYTES` of JSON; a larger one is refused and points
   * to the streamed download.
   */
  async export(userId: string): Promise<Record<string, unknown>> {
    return this.write(userId, async (chunks) => {
      let text = '';
      let bytes = 0;
      for await (const chunk of chunks) {
        bytes += Buffer.byteLength(chunk);
        if (bytes > GRAPHQL_EXPORT_MAX_BYTES) {
          throw new AppError(Errors.exportTooLargeForGraphQL(GRAPHQL_EXPORT_MAX_BYTES));
        }
        text += chunk;
      }
      return JSON.parse(text) as Record<string, unknown>;
    });
  }

  /**
   * Counts the export against its rate limit, opens the snapshot, reads what
   * precedes the lists (so that a failure there is an ordinary error, before
   * any byte is sent) and hands the JSON text to `sink`; the snapshot ends
   * when `sink` settles (rolled back if it throws).
   */
  async write<T>(userId: string, sink: ExportSink<T>): Promise<T> {
    await this.limits.consume('dataExport', userId, accountOwner(this.em, userId));
    // The export is in the log (and so in the export itself): written first,
    // under the account's row lock, in its own transaction, so the snapshot
    // below stays read-only (a write in it would fail on a racing change or
    // deletion of the account with a serialization error).
    await this.em.transactional(async (em) => {
      const account = await lockAccount(em, userId);
      SecurityLog.add(em, account, 'DATA_EXPORTED', this.client);
    });
    const sql = exportStatements(this.statements);
    return this.em.transactional(
      async (em) => {
        // The account's row (gone: UNAUTHENTICATED), and the snapshot's first read.
        await findAccount(em, userId);
        const cursor = transactionCursor(em);
        const rows = <Row>(text: string, ...values: unknown[]) =>
          cursor.batches<Row>(text, values, EXPORT_BATCH_ROWS);
        const [user] = await allRows(rows<UserRow>(sql.user, userId));
        // The account went away since the token was checked.
        if (!user) throw new AppError(Errors.unauthenticated());
        const [onboarding] = await allRows(rows<OnboardingRow>(sql.onboarding, userId));
        const keys = await allRows(rows<ApiKeyRow>(sql.apiKeys, userId));
        const [pendingChange] = await allRows(
          rows<PendingChangeRow>(sql.pendingChange, userId, new Date()),
        );
        const stored = onboarding
          ? { ...onboarding, completedAt: new Date(onboarding.completedAt) }
          : null;
        const storedKeys = keys.map((key) => ({
          ...key,
          lastValidatedAt: optionalDate(key.lastValidatedAt),
          createdAt: new Date(key.createdAt),
          updatedAt: new Date(key.updatedAt),
        }));
        return sink(
          jsonChunks(this.document(cursor, user, stored, storedKeys, pendingChange ?? null)),
        );
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, clear: true },
    );
  }

  /** The export's document; its lists are read when the writer reaches them, in this order. */
  private document(
    cursor: RowCursor,
    user: UserRow,
    onboarding: StoredOnboarding | null,
    keys: StoredApiKey[],
    pendingChange: PendingChangeRow | null,
  ): Record<string, unknown> {
    const sql = exportStatements(this.statements);
    const list = <Row, Item>(text: string, values: unknown[], item: (row: Row) => Item) =>
      new StreamedList<Row, Item>(cursor.batches<Row>(text, values, EXPORT_BATCH_ROWS), item);
    const status = statusOf(onboarding);
    const now = new Date();
    return {
      formatVersion: EXPORT_FORMAT_VERSION,
      exportedAt: isoSeconds(now),
      profile: {
        id: user.id,
        email: user.email,
        name: user.name,
        jobTitle: user.jobTitle,
        bio: user.bio,
        avatarUrl: user.avatarUrl,
        emailVerified: user.emailVerified,
        plan: user.plan,
        createdAt: iso(user.createdAt),
        updatedAt: iso(user.updatedAt),
      },
      email: {
        address: user.email,
        verified: user.emailVerified,
        pendingChange: pendingChange
          ? {
              newEmail: pendingChange.email,
              requestedAt: iso(pendingChange.createdAt),
              expiresAt: iso(pendingChange.expiresAt),
            }
          : null,
      },
      messages: list(sql.messages, [user.id, mailKeptSince(now)], (message: MessageRow) => ({
        template: message.template,
        to: message.recipient,
        status: message.status,
        createdAt: iso(message.createdAt),
        sentAt: optionalIso(message.sentAt),
      })),
      preferences: {
        preferredStyle: user.preferredStyle,
        timezone: user.timezone ?? DEFAULT_TIMEZONE,
        ...(status.preferences ?? {}),
      },
      onboarding: {
        completed: status.completed,
        completedAt: status.completedAt ? isoSeconds(status.completedAt) : null,
        preferences: status.preferences,
      },
      apiKeys: keys.map((key) => {
        const view = presentApiKey(this.keyRing, this.logger, user.id, key);
        return {
          id: view.id,
          provider: view.provider,
          name: view.name,
          maskedKey: view.maskedKey,
          status: view.status,
          statusReason: view.statusReason,
          lastValidatedAt: view.lastValidatedAt ? isoSeconds(view.lastValidatedAt) : null,
          createdAt: isoSeconds(view.createdAt),
          updatedAt: isoSeconds(view.updatedAt),
        };
      }),
      accessTokens: list(sql.tokens, [user.id, deadTokensSince(now)], (token: TokenRow) => ({
        id: token.id,
        name: token.name,
        createdAt: iso(token.createdAt),
        lastUsedAt: optionalIso(token.lastUsedAt),
        lastUsedIp: token.lastUsedIp,
        lastUsedUserAgent: token.lastUsedUserAgent,
        expiresAt: optionalIso(token.expiresAt),
        scopes: token.scopes,
        revokedAt: optionalIso(token.revokedAt),
      })),
      organizations: list(sql.memberships, [user.id], (row: Record<string, unknown>) => {
        const membership = membershipRow(row);
        return {
          id: membership.organizationId,
          name: membership.organizationName,
          createdAt: iso(membership.organizationCreatedAt),
        };
      }),
      memberships: list(sql.memberships, [user.id], (row: Record<string, unknown>) => {
        const membership = membershipRow(row);
        return {
          id: membership.id,
          organizationId: membership.organizationId,
          role: membership.role,
          joinedAt: iso(membership.createdAt),
        };
      }),
      invitations: {
        // The addresses the user typed in; never another member's.
        sent: list(sql.sent, [user.id], (row: Record<string, unknown>) => {
          const invitation = invitationRow(row);
          return {
            id: invitation.id,
            organizationId: invitation.organizationId,
            email: invitation.email,
            role: invitation.role,
            status: visibleStatus(invitation, now),
            createdAt: iso(invitation.createdAt),
            expiresAt: isoSeconds(invitation.expiresAt),
          };
        }),
        received: list(sql.received, [user.email], (row: Record<string, unknown>) => {
          const invitation = invitationRow(row);
          return {
            id: invitation.id,
            organizationId: invitation.organizationId,
            organizationName: invitation.organizationName,
            role: invitation.role,
            status: visibleStatus(invitation, now),
            createdAt: iso(invitation.createdAt),
            expiresAt: isoSeconds(invitation.expiresAt),
          };
        }),
      },
      activity: {
        lastActiveAt: optionalIso(user.lastActiveAt),
        events: list(sql.events, [user.id, activityKeptSince(now)], (event: EventRow) =>
          iso(event.recordedAt),
        ),
      },
      securityEvents: list(
        sql.securityEvents,
        [user.id, new Date(now.getTime() - SECURITY_EVENT_RETENTION_DAYS * 24 * 3600 * 1000)],
        (event: SecurityEventRow) => ({
          id: event.id,
          type: event.type,
          occurredAt: iso(event.occurredAt),
          ip: event.ip,
          userAgent: event.userAgent,
          subjectId: event.subjectId,
        }),
      ),
    };
  }
}
