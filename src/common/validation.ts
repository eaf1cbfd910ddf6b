import { IsUrl, Matches, type ValidationOptions } from 'class-validator';
import { ValidationMessages } from './errors';

/** Field limits, in characters, shared by every input that carries the field. */
export const Limits = {
  email: 254,
  name: 255,
  jobTitle: 255,
  bio: 2000,
  url: 2048,
  style: 64,
  tokenName: 100,
} as const;

export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return Matches(/\S/, { message: ValidationMessages.notBlank, ...options });
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_host: true },
    { message: ValidationMessages.httpUrl, ...options },
  );
}
