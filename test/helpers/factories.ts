import { randomUUID } from 'node:crypto';
import type { TestServer } from './app';

export const PASSWORD = 'Sturdy-Passw0rd';

/** An email no other test uses, so files can share a database safely. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomUUID().slice(0, 12)}@example.com`;
}

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      accessToken {
        id
        name
      }
      viewer {
        id
        profile {
          email
          name
          plan
          timezone
        }
      }
    }
  }
`;

export const CREATE_TOKEN = /* GraphQL */ `
  mutation CreateToken($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) {
      token
      accessToken {
        id
        name
      }
      viewer {
        id
      }
    }
  }
`;

export interface SignedUp {
  id: string;
  email: string;
  password: string;
  token: string;
  tokenId: string;
}

interface SignUpData {
  signUp: { token: string; accessToken: { id: string }; viewer: { id: string } };
}

/** Signs up a fresh user over HTTP and returns its credentials. */
export async function signUp(
  server: TestServer,
  input: Partial<{ email: string; password: string; name: string }> = {},
): Promise<SignedUp> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? PASSWORD;
  const result = await server.graphql<SignUpData>(SIGN_UP, {
    input: { email, password, name: input.name ?? 'Test User' },
  });
  if (!result.data?.signUp) throw new Error(`sign-up failed: ${result.text}`);
  const { token, accessToken, viewer } = result.data.signUp;
  return {
    id: viewer.id,
    email: email.trim().toLowerCase(),
    password,
    token,
    tokenId: accessToken.id,
  };
}
