/** A status table lookup: a missing, empty or undocumented raw status is `unknown`. */
export function lookupStatus<T extends string>(
  table: Readonly<Record<string, T>>,
  raw: string | null | undefined,
): T | 'unknown' {
  if (raw === null || raw === undefined || raw === '') return 'unknown';
  return Object.hasOwn(table, raw) ? (table[raw] as T) : 'unknown';
}
