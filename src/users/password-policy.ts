import { ValidateBy, type ValidationOptions } from 'class-validator';
import { ValidationMessages } from '../common/errors';
import { withSchema } from '../common/validation';

/** The password rules of SPEC, in one place for both faces. */
export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for passphrases, short enough that hashing stays bounded: checked before any hash. */
export const PASSWORD_MAX_LENGTH = 128;

/** Each rule that `password` breaks, as a sentence naming `field`. */
export function passwordPolicyViolations(field: string, password: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    problems.push(ValidationMessages.passwordTooShort(field, PASSWORD_MIN_LENGTH));
  if (length > PASSWORD_MAX_LENGTH)
    problems.push(ValidationMessages.passwordTooLong(field, PASSWORD_MAX_LENGTH));
  if (!/[A-Z]/.test(password)) problems.push(ValidationMessages.passwordNeedsUppercase(field));
  if (!/[0-9]/.test(password)) problems.push(ValidationMessages.passwordNeedsDigit(field));
  return problems;
}

/** A new password: the policy above, reported rule by rule without echoing the value. */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return withSchema(IsPasswordRule(options), {
    type: 'string',
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    allOf: [{ pattern: '[A-Z]' }, { pattern: '[0-9]' }],
  });
}

function IsPasswordRule(options?: ValidationOptions): PropertyDecorator {
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
            : ValidationMessages.notAString(args?.property ?? 'password'),
      },
    },
    options,
  );
}
