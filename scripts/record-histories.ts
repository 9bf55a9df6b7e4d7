/**
 * `npm run record-histories`: runs real builds on the real stack (embedded PostgreSQL, the
 * Temporal dev server, the apps, fault injection through the admin API) and saves each
 * workflow's event history under test/histories/, which `npm test` replays against the
 * current workflow code. Re-record after an intentional, patched change to the workflows.
 *   npm run record-histories [-- scenario-name ...]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { REPO_ROOT } from '../core/config.js';
import { startTestStack } from '../test/support/stack.js';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'histories');

import { SCENARIOS, type Scenario } from './history-scenarios.js';

async function recordScenario(scenario: Scenario): Promise<void> {
  // A stack of its own per scenario: faults and capacity never leak from one to the next.
  const stack = await startTestStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '20' } });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.temporalNamespace });
  try {
    let n = 0;
    const create = async (extra: object = {}) => {
      const res = await stack.api('POST', '/v1/instances', {
        name: `${scenario.name}-${++n}`,
        flavor: 'm1.tiny',
        image: 'cirros',
        network: 'default',
        ...extra,
      });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    const settle = (id: string, status: string) =>
      stack.waitFor(
        async () => {
          const { body } = await stack.api('GET', `/v1/instances/${id}`);
          return body.status === status && body.taskState === null ? body : null;
        },
        90_000,
        `${id} ${status}`,
      );
    const [workflowId] = await scenario.run({ stack, create, settle, client });
    const handle = client.workflow.getHandle(workflowId);
    await handle.result().catch(() => undefined); // Failed and cancelled builds are histories too.
    const history = await handle.fetchHistory();
    const description = await handle.describe();
    const file = path.join(HISTORIES_DIR, `${scenario.name}.json`);
    await writeFile(
      file,
      // The history in the proto3 JSON form `temporal workflow show --output json` prints.
      JSON.stringify(
        {
          scenario: scenario.name,
          description: scenario.description,
          workflowId,
          workflowType: description.type,
          status: description.status.name,
          history: JSON.parse(historyToJSON(history)),
        },
        null,
        1,
      ) + '\n',
    );
    const saved = path.relative(REPO_ROOT, file);
    console.log(
      `${scenario.name}: ${description.type} ${description.status.name}, ${history.events?.length} events → ${saved}`,
    );
  } catch (err) {
    console.error(stack.logs(80).join('\n'));
    throw err;
  } finally {
    await connection.close();
    await stack.stop();
  }
}

const wanted = process.argv.slice(2);
await mkdir(HISTORIES_DIR, { recursive: true });
for (const scenario of SCENARIOS) {
  if (wanted.length === 0 || wanted.includes(scenario.name)) await recordScenario(scenario);
}
