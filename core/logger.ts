import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one line each, with the process's role on every line. */
export function createLogger(
  service: string,
  level = process.env.NIMBUS_LOG_LEVEL || 'info',
  bindings: Record<string, unknown> = {},
): Logger {
  return pino({ level, base: { service, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
