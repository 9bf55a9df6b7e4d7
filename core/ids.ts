const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a well-formed UUID: what may be compared with a uuid column. Anything else is a
 * name or garbage, and must never reach Postgres as a uuid (it would fail the query).
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
