import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Authenticator } from './auth/authenticator';
import { clientInfo } from './auth/client';
import { RequestAuth } from './auth/request-auth';
import { SecurityLog } from './auth/security-log';
import { RetentionPurge } from './modules/account/retention';
import type { Requester } from './auth/requester';
import { bearerToken } from './auth/token';
import { TokenUsage } from './auth/token-usage';
import { Cursors } from './common/cursor';
import type { Config, LimitName } from './config';
import type { Context, RequestServices } from './graphql/context';
import type { Database } from './infra/db/database';
import { PreparedStatements, rateLimitStore } from './infra/db/sql';
import { Jobs } from './infra/jobs/jobs';
import type { Log, Logger } from './infra/logger';
import { Mail, type SecretBox } from './infra/mail/mail';
import { RateLimits } from './infra/rate-limits';
import { AccessTokenService } from './modules/access-tokens/access-token.service';
import { AccountDeletionService } from './modules/account/account-deletion.service';
import { AccountService } from './modules/account/account.service';
import { EmailFlowsService } from './modules/account/email-flows.service';
import {
  handlePasswordResetRequest,
  PASSWORD_RESET_REQUEST_JOB,
} from './modules/account/email-links';
import { ExportService } from './modules/account/export.service';
import { PasswordHasher } from './modules/account/password-hasher';
import { ActivityService } from './modules/activity/activity.service';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { loadKeyRing, type KeyRing } from './modules/api-keys/key-ring';
import { KEY_CHECK_DEFAULTS, ProviderKeyChecker } from './modules/api-keys/providers';
import { OnboardingService } from './modules/onboarding/onboarding.service';
import {
  InvitationService,
  type InvitationMailer,
} from './modules/organizations/invitation.service';
import { InvitationPages } from './modules/organizations/invitation-pages';
import { MemberPages } from './modules/organizations/member-pages';
import { MemberService } from './modules/organizations/member.service';
import { OrganizationService } from './modules/organizations/organization.service';
import { ProfileService } from './modules/profile/profile.service';
import { VisibleUsers } from './modules/users/visible-users';
import { SecurityLogService } from './modules/security-log/security-log.service';
import { ViewerReads } from './modules/viewer/viewer-reads';

/** What lives for the whole process: configuration, the ORM, shared workers. */
export interface Dependencies {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  hasher: PasswordHasher;
  keyRing: KeyRing;
  /** Checks provider keys against the providers; its slots bound this process's checks. */
  keyChecker: ProviderKeyChecker;
  rateLimits: RateLimits<LimitName>;
  statements: PreparedStatements;
  tokenUsage: TokenUsage;
  authenticator: Authenticator;
  securityLog: SecurityLog;
  /** The daily purge of activity and dead tokens past their retention. */
  retention: RetentionPurge;
  viewerReads: ViewerReads;
  /** Pages of an organization's members, as plain rows. */
  memberPages: MemberPages;
  /** Pages of an organization's invitations, as plain rows. */
  invitationPages: InvitationPages;
  visibleUsers: VisibleUsers;
  activity: ActivityService;
  /** Signs and checks pagination cursors. */
  cursors: Cursors;
  /** Background jobs (pg-boss): features register handlers and schedules here. */
  jobs: Jobs;
  /** The transactional mail outbox. */
  mail: Mail;
}

export async function createDependencies(
  config: Config,
  database: Database,
  logger: Logger,
): Promise<Dependencies> {
  const { orm } = database;
  const statements = new PreparedStatements(orm);
  const tokenUsage = new TokenUsage(statements, logger);
  const keyRing = await loadKeyRing(config);
  const jobs = new Jobs(database.url, config.jobs, logger);
  const mail = new Mail(orm, jobs, config.mail, secretBox(keyRing), logger);
  await mail.register();
  const securityLog = new SecurityLog(statements);
  await securityLog.registerPurge(jobs, logger);
  const retention = new RetentionPurge(statements);
  await retention.register(jobs, logger);
  // Decides, away from the request, whether a reset mail goes out (no enumeration).
  await jobs.work<{ email: string }>(
    PASSWORD_RESET_REQUEST_JOB,
    ({ email }) => handlePasswordResetRequest(orm.em.fork(), mail, config.codeTtls, email),
    {
      maxAttempts: 3,
      retryDelaySeconds: 2,
      // The job's data is an address someone typed: gone soon after it ran.
      deleteAfterSeconds: 3600,
    },
  );
  return {
    config,
    orm,
    logger,
    hasher: new PasswordHasher(config.scrypt),
    keyRing,
    keyChecker: new ProviderKeyChecker({
      ...KEY_CHECK_DEFAULTS,
      enabled: config.providerKeys.validate,
      baseUrls: config.providerKeys.baseUrls,
      timeoutMs: config.providerKeys.timeoutMs,
      maxConcurrent: config.providerKeys.maxConcurrent,
    }),
    rateLimits: new RateLimits(await rateLimitStore(orm), config.rateLimits),
    statements,
    tokenUsage,
    authenticator: new Authenticator(statements, tokenUsage),
    securityLog,
    retention,
    viewerReads: new ViewerReads(statements),
    memberPages: new MemberPages(statements),
    invitationPages: new InvitationPages(statements),
    visibleUsers: new VisibleUsers(statements),
    activity: new ActivityService(statements),
    cursors: new Cursors(keyRing.derive('pagination-cursors')),
    jobs,
    mail,
  };
}

/** The link's path on APP_URL: the client answers with acceptInvitation or declineInvitation. */
export const INVITATION_LINK_PATH = '/invitation';

/** Invitations leave through the outbox, in the transaction that makes or renews them. */
function invitationMail(mail: Mail): InvitationMailer {
  return {
    async queue(em, { invitation, organization, inviter, code }) {
      await mail.enqueueMail(em, {
        template: 'invitation',
        to: invitation.email,
        data: { organizationName: organization.name, inviterName: inviter.name },
        link: { path: INVITATION_LINK_PATH, token: code },
        // Worthless once the invitation has expired.
        deliverWithinSeconds: Math.max(
          1,
          Math.floor((invitation.expiresAt.getTime() - Date.now()) / 1000),
        ),
      });
    },
  };
}

/** The master key ring as the outbox's sealer: `version.iv.tag.ciphertext`, base64url parts. */
function secretBox(keyRing: KeyRing): SecretBox {
  return {
    seal(plaintext, associatedData) {
      const sealed = keyRing.seal(plaintext, associatedData);
      return [
        sealed.keyVersion,
        sealed.iv.toString('base64url'),
        sealed.authTag.toString('base64url'),
        sealed.ciphertext.toString('base64url'),
      ].join('.');
    },
    open(text, associatedData) {
      const [keyVersion = '', iv = '', authTag = '', ciphertext = ''] = text.split('.');
      return keyRing.open(
        {
          keyVersion,
          iv: Buffer.from(iv, 'base64url'),
          authTag: Buffer.from(authTag, 'base64url'),
          ciphertext: Buffer.from(ciphertext, 'base64url'),
        },
        associatedData,
      );
    },
  };
}

type ServiceName = Exclude<keyof Services, 'em' | 'viewerReads' | 'visibleUsers' | 'activity'>;

/**
 * The services of one request, all sharing that request's EntityManager
 * fork: what each feature's resolvers reach as `ctx.services` (the features
 * list theirs in `RequestServices`). The fork and each service are made on
 * first use: most requests need one or two services, and a profile read none.
 */
export class Services implements RequestServices {
  private fork: EntityManager | undefined;
  private made: Partial<Record<ServiceName, unknown>> = {};

  constructor(
    private readonly deps: Dependencies,
    private readonly requester: Requester,
  ) {}

  /** This request's EntityManager. */
  get em(): EntityManager {
    return (this.fork ??= this.deps.orm.em.fork());
  }

  /** What the viewer's fields show, read in one statement (shared by the process). */
  get viewerReads(): ViewerReads {
    return this.deps.viewerReads;
  }

  /** Whom a viewer may see, for entity references (shared by the process). */
  get visibleUsers(): VisibleUsers {
    return this.deps.visibleUsers;
  }

  get tokens(): AccessTokenService {
    return this.once('tokens', () => new AccessTokenService(this.em, this.requester.client));
  }

  get accounts(): AccountService {
    const { deps, requester } = this;
    return this.once(
      'accounts',
      () =>
        new AccountService(
          this.em,
          deps.hasher,
          this.tokens,
          deps.rateLimits,
          requester,
          deps.config.accessTokenMaxDays,
          deps.mail,
          deps.config.codeTtls,
        ),
    );
  }

  get emailFlows(): EmailFlowsService {
    const { deps, requester } = this;
    return this.once(
      'emailFlows',
      () =>
        new EmailFlowsService(
          this.em,
          deps.mail,
          deps.jobs,
          deps.hasher,
          this.tokens,
          deps.rateLimits,
          requester,
          deps.config.codeTtls,
          deps.config.accessTokenMaxDays,
        ),
    );
  }

  get profiles(): ProfileService {
    return this.once('profiles', () => new ProfileService(this.em));
  }

  get apiKeys(): ApiKeyService {
    return this.once(
      'apiKeys',
      () =>
        new ApiKeyService(
          () => this.em,
          this.deps.keyRing,
          this.requester.log,
          this.deps.keyChecker,
          this.deps.rateLimits,
          this.requester.client,
        ),
    );
  }

  get onboarding(): OnboardingService {
    return this.once(
      'onboarding',
      () => new OnboardingService(this.em, this.invitations, this.requester.client),
    );
  }

  get organizations(): OrganizationService {
    return this.once(
      'organizations',
      () =>
        new OrganizationService(
          this.em,
          this.deps.cursors,
          this.deps.memberPages,
          this.deps.invitationPages,
        ),
    );
  }

  get members(): MemberService {
    return this.once('members', () => new MemberService(this.em, this.requester.client));
  }

  get invitations(): InvitationService {
    return this.once(
      'invitations',
      () =>
        new InvitationService(
          this.em,
          this.deps.rateLimits,
          invitationMail(this.deps.mail),
          this.requester.client,
        ),
    );
  }

  /** Activity pings (shared by the process: its statements are built once). */
  get activity(): ActivityService {
    return this.deps.activity;
  }

  get exports(): ExportService {
    const { deps, requester } = this;
    return this.once(
      'exports',
      () =>
        new ExportService(
          this.em,
          deps.statements,
          deps.keyRing,
          requester.log,
          deps.rateLimits,
          requester.client,
        ),
    );
  }

  /** The security log's read side. */
  get securityEvents(): SecurityLogService {
    return this.once('securityEvents', () => new SecurityLogService(this.em));
  }

  get deletion(): AccountDeletionService {
    return this.once(
      'deletion',
      () => new AccountDeletionService(this.em, this.deps.rateLimits, this.deps.mail),
    );
  }

  private once<T>(name: ServiceName, make: () => T): T {
    return (this.made[name] ??= make()) as T;
  }
}

/** What a request context is built from, the same for GraphQL and REST. */
export interface RequestInfo {
  ip: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}

/** A request's context: its services (one EntityManager fork, made on first use) and its authentication. */
export function createContext(deps: Dependencies, request: RequestInfo): Context {
  const client = clientInfo(request.ip, request.userAgent);
  const services = new Services(deps, { ip: request.ip, client, log: request.log });
  return {
    services,
    auth: new RequestAuth(
      bearerToken(request.authorization),
      deps.authenticator,
      () => services.em,
      deps.rateLimits,
      request.ip,
      client,
      deps.securityLog,
    ),
    log: request.log,
  };
}
