import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../../core/logger.js';

/**
 * One JSON line per activity run, carrying the instance id and workflow id, so a build can
 * be followed across the controller and the agents with a grep for either. Failures are
 * logged by the SDK itself (at WARN, with the error); this adds the outcome and duration.
 */
export function activityLogging(log: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const arg = input.args[0] as { instanceId?: unknown } | undefined;
        const fields = {
          instanceId: typeof arg?.instanceId === 'string' ? arg.instanceId : undefined,
          workflowId: ctx.info.workflowExecution?.workflowId,
          activity: ctx.info.activityType,
          attempt: ctx.info.attempt,
        };
        const started = Date.now();
        try {
          const result = await next(input);
          log.info({ ...fields, ms: Date.now() - started, outcome: 'completed' }, `${fields.activity} completed`);
          return result;
        } catch (err) {
          log.info(
            { ...fields, ms: Date.now() - started, outcome: 'failed', error: (err as Error).message },
            `${fields.activity} failed`,
          );
          throw err;
        }
      },
    },
  });
}
