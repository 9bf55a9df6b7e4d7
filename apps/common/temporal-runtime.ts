import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../../core/logger.js';

/** Sends the Temporal SDK's own logs through our JSON logger, once per process. */
export function installTemporalRuntime(log: Logger): void {
  const level = (
    log.level === 'trace' || log.level === 'debug' ? 'DEBUG' : log.level === 'info' ? 'INFO' : 'WARN'
  ) as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const { message, meta } = entry;
      // A worker that serves only activities says so at WARN on every start: not news.
      if (/^No (workflows|activities|Nexus services) registered/.test(message)) return;
      const fn =
        entry.level === 'ERROR'
          ? log.error
          : entry.level === 'WARN'
            ? log.warn
            : entry.level === 'INFO'
              ? log.info
              : log.debug;
      fn.call(log, meta ?? {}, message);
    }),
  });
}
