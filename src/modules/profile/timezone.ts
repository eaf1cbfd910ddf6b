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
 * IANA ids are `Area/Location` (or UTC/GMT): abbreviations such as IST or EST
 * and offsets such as UTC+5:30 are refused even where ICU would accept them.
 */
const IANA_SHAPE = /^(?:UTC|GMT|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)$/;

/** The canonical IANA name of `input`, or null when it is not a time zone. */
export function canonicalTimeZone(input: string): string | null {
  const name = input.trim();
  if (!IANA_SHAPE.test(name)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return CLDR_TO_IANA[resolved] ?? resolved;
}
