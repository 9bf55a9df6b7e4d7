import { QmpClient, type QmpWaitOptions } from './qmp-client.js';

/** One QMP conversation: connect, run `fn`, close (QMP serves one client at a time). */
export async function withQmp<T>(socket: string, opts: QmpWaitOptions, fn: (q: QmpClient) => Promise<T>): Promise<T> {
  const qmp = await QmpClient.connect(socket, { timeoutMs: 5000, ...opts });
  try {
    return await fn(qmp);
  } finally {
    qmp.close();
  }
}
