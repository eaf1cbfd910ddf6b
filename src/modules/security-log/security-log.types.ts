import { Field, ID, ObjectType } from 'type-graphql';
import { SECURITY_EVENT_TYPES, type SecurityEventKind } from '../../auth/security-event.entity';
import { connectionType } from '../../graphql/connections';
import { graphqlEnum } from '../../graphql/enums';

export const SecurityEventTypeEnum = graphqlEnum(
  'SecurityEventType',
  SECURITY_EVENT_TYPES,
  'What happened to the account. SIGN_IN is a token created by signing in (its id is the subject); TOKEN_EXPIRED is an expired token used (once per token).',
);

@ObjectType('SecurityEvent', {
  description:
    'One line of the security log: what happened, when, from where, and to what. Never a secret.',
})
export class SecurityEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => SecurityEventTypeEnum)
  type!: SecurityEventKind;

  @Field(() => Date)
  occurredAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The network the request came from (IPv4 /24, IPv6 /48).',
  })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'The user agent, at most 200 characters.' })
  userAgent!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'What the event is about: an access token, a provider key, an organization.',
  })
  subjectId!: string | null;
}

/** `SecurityEventConnection`: the security log, newest first, kept 90 days. */
export const SecurityEventConnection = connectionType('SecurityEvent', SecurityEventType);
