import { MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { Errors } from '../../common/errors';
import { withSchema } from '../../common/validation';

/**
 * Time-zone names are checked against the runtime's own time-zone database
 * (ICU, through Intl), not a list of ours. Intl also resolves aliases and
 * letter case; what it returns is CLDR's canonical id, which for a handful of
 * renamed zones is the older name (Asia/Calcutta): those are mapped to the
 * current IANA name, so that an alias and its zone are stored alike.
 */
const CLDR_TO_IANA: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * Names ICU accepts that are not IANA's: Java's three-letter ids (IST is
 * India, Israel or Ireland depending on who reads it) and the SystemV zones.
 * ECMA-402 asks for IANA names only; V8 passes these through from ICU.
 * (EST, MST and HST are IANA names, and stay accepted.)
 */
const ICU_ONLY = new Set(
  'ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST PLT PNT PRT PST SST VST'.split(
    ' ',
  ),
);

/** Longest accepted name, in characters (the longest IANA name has 32). */
export const TIME_ZONE_MAX_LENGTH = 64;

/**
 * The canonical IANA name of `input`, or null when it is not a time zone.
 * As ECMA-402 says: any IANA zone or link name, matched ASCII-case-insensitively
 * (`utc`, `Zulu`, `america/new_york`, `Asia/Calcutta`), and answered canonical
 * (`UTC`, `America/New_York`, `Asia/Kolkata`); not an offset (`+05:30`,
 * which Intl now also takes, or `UTC+5:30`) and not an abbreviation.
 */
export function canonicalTimeZone(input: string): string | null {
  const name = input.trim();
  if (name.length === 0 || name.length > TIME_ZONE_MAX_LENGTH) return null;
  if (/^[+-]/.test(name) || ICU_ONLY.has(name.toUpperCase())) return null;
  if (/^SystemV\//i.test(name)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  // An offset that Intl resolved to itself is not a named zone.
  if (/^[+-]/.test(resolved)) return null;
  return CLDR_TO_IANA[resolved] ?? resolved;
}

/**
 * A time-zone name as `canonicalTimeZone` accepts it. Documented as the
 * format `iana-time-zone` (OpenAPI lets an API name its own formats).
 */
export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  const rule = ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && canonicalTimeZone(value) !== null,
        defaultMessage: () => Errors.notATimeZone().message,
      },
    },
    options,
  );
  const length = MaxLength(TIME_ZONE_MAX_LENGTH);
  return withSchema(
    (target, property) => {
      length(target, property);
      rule(target, property);
    },
    {
      format: 'iana-time-zone',
      description:
        'An IANA time zone or link name, in any letter case (America/New_York, utc, Asia/Calcutta); answered in canonical form (Asia/Kolkata).',
    },
  );
}
