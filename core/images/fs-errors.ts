/** A file or directory that is not there (ENOENT): for callers that treat "absent" as a state. */
export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
