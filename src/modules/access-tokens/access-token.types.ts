import { Field, ID, Int, ObjectType } from 'type-graphql';
import { TOKEN_SCOPES, type TokenScope } from '../../auth/scopes';
import { graphqlEnum } from '../../graphql/enums';
import { TOKEN_EXPIRY_PRESETS } from './token-options';

export const TokenScopeEnum = graphqlEnum(
  'TokenScope',
  TOKEN_SCOPES,
  'What an access token may do: ACCOUNT_READ (every query), ACCOUNT_WRITE (profile, timezone, onboarding, activity), API_KEYS_WRITE (provider keys), SENSITIVE (password, email change, export, deletion, creating and revoking tokens).',
);

export const TokenExpiryEnum = graphqlEnum(
  'TokenExpiry',
  TOKEN_EXPIRY_PRESETS,
  'How long a new access token lives.',
);

@ObjectType('AccessToken', {
  description: 'Metadata of a Bearer credential; never the token itself.',
})
export class AccessTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Last request made with the token (updated at most once a minute).',
  })
  lastUsedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The network of the last request made with the token (IPv4 /24, IPv6 /48), refreshed with lastUsedAt.',
  })
  lastUsedIp!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The user agent of the last request (at most 200 characters), refreshed with lastUsedAt.',
  })
  lastUsedUserAgent!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the token stops working; null: never.' })
  expiresAt!: Date | null;

  @Field(() => [TokenScopeEnum])
  scopes!: TokenScope[];
}

@ObjectType('RevokeTokensPayload')
export class RevokeTokensPayloadType {
  @Field(() => Int, { description: 'How many active tokens were revoked.' })
  revokedCount!: number;
}
