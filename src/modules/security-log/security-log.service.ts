import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import { SecurityEvent } from '../../auth/security-event.entity';
import type { Page } from '../../graphql/connections';
import type { SecurityEventType } from './security-log.types';

/** Most events one page holds (`first`), and the default. */
export const SECURITY_EVENTS_MAX_PAGE = 100;
export const SECURITY_EVENTS_DEFAULT_PAGE = 20;

const CURSOR = /^sev:(\d{1,19})$/;

/** The cursor of an event: its place in the log, opaque to clients. */
const cursorOf = (seq: string) => Buffer.from(`sev:${seq}`).toString('base64url');

function seqOf(cursor: string): string {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || cursor.length > 64) throw new AppError(Errors.invalidCursor('after'));
  return match[1];
}

/** The read side of the security log (the writes: src/auth/security-log.ts). */
export class SecurityLogService {
  constructor(private readonly em: EntityManager) {}

  /** The user's events, newest first, `first` of them after the cursor `after`. */
  async list(
    userId: string,
    first: number = SECURITY_EVENTS_DEFAULT_PAGE,
    after?: string | null,
  ): Promise<Page<SecurityEvent>> {
    if (!Number.isInteger(first) || first < 1 || first > SECURITY_EVENTS_MAX_PAGE) {
      throw new AppError(Errors.pageSize(SECURITY_EVENTS_MAX_PAGE));
    }
    const before = after ? seqOf(after) : undefined;
    const rows = await this.em.find(
      SecurityEvent,
      { user: userId, ...(before === undefined ? {} : { seq: { $lt: before } }) },
      { orderBy: { seq: 'desc' }, limit: first + 1 },
    );
    return {
      rows: rows.slice(0, first),
      cursorOf: (event) => cursorOf(event.seq),
      hasNextPage: rows.length > first,
      count: () => this.em.count(SecurityEvent, { user: userId }),
    };
  }
}

/** An event as the API shows it. */
export function view(event: SecurityEvent): SecurityEventType {
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    ip: event.ip,
    userAgent: event.userAgent,
    subjectId: event.subjectId,
  };
}
