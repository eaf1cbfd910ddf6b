import { IsUrl, Matches, ValidateBy, type ValidationOptions } from 'class-validator';
import { passwordPolicyViolations } from '../modules/auth/password-policy';

/** Field limits, in characters, shared by every input that carries the field. */
export const Limits = {
  email: 254,
  name: 255,
  jobTitle: 255,
  bio: 2000,
  url: 2048,
  style: 64,
  tokenName: 100,
  /** Longest password accepted anywhere, checked before any hashing. */
  password: 128,
} as const;

/** The SPEC password policy, reported rule by rule without echoing the value. */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPassword',
      validator: {
        validate: (value: unknown, args) =>
          typeof value === 'string' &&
          passwordPolicyViolations(args?.property ?? '', value).length === 0,
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? passwordPolicyViolations(args.property, args.value).join('; ')
            : `${args?.property ?? 'password'} must be a string`,
      },
    },
    options,
  );
}

export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return Matches(/\S/, { message: '$property must not be blank', ...options });
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_host: true },
    { message: '$property must be an http(s) URL', ...options },
  );
}
