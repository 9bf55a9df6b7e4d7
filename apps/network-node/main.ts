/**
 * The network node (Neutron's DHCP agent): per network with ports, a qdhcp namespace on the
 * network's segment with dnsmasq handing each port its address. It serves the queue
 * `network-node`, and at start compares what it serves with the ports the control plane
 * reports (the DhcpState workflow: it never reads the database) and removes leftovers.
 *   npm run network-node -- [--netns NS --uplink DEV --underlay-ip ADDR --physical-interface DEV]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDhcpActivities } from '../../activities/dhcp.js';
import { createNoopActivities } from '../../activities/noop.js';
import type { DhcpStateWorkflowResult } from '../../contracts/dhcp.js';
import { TaskQueues, dhcpStateWorkflowId } from '../../contracts/task-queues.js';
import { dhcpStateDir, loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { createDhcpDriver } from '../../core/network/dhcp/dhcp-driver-factory.js';
import { FakeDhcpDriver } from '../../core/network/dhcp/fake-dhcp-driver.js';
import { reconcileDhcp } from '../../core/network/dhcp/dhcp-reconcile.js';
import { activityLogging } from '../common/activity-logging.js';
import { installTemporalRuntime } from '../common/temporal-runtime.js';

const config = loadConfig();
const { values: args } = parseArgs({
  options: {
    netns: { type: 'string', default: process.env.NIMBUS_NETNS || undefined },
    uplink: { type: 'string', default: process.env.NIMBUS_UPLINK || undefined },
    'underlay-ip': { type: 'string', default: process.env.NIMBUS_UNDERLAY_IP || undefined },
    'physical-interface': { type: 'string', default: process.env.NIMBUS_PHYSICAL_INTERFACE || undefined },
  },
});
const log = createLogger('network-node', config.logLevel);
installTemporalRuntime(log);

const { dhcp, reason } = await createDhcpDriver({
  hypervisor: config.hypervisor,
  stateDir: dhcpStateDir(config),
  netns: args.netns,
  uplink: args.uplink,
  underlayIp: args['underlay-ip'],
  physical: args['physical-interface'],
});
log.info({ netns: args.netns ?? null }, `DHCP driver: ${reason}`);

// Before serving the queue, so no reservation is added between the question and the answer.
// The fake keeps nothing across restarts: nothing to compare.
if (!(dhcp instanceof FakeDhcpDriver)) {
  const client = new Client({
    connection: await Connection.connect({ address: config.temporalAddress }),
    namespace: config.temporalNamespace,
  });
  const { networks } = await client.workflow.execute<() => Promise<DhcpStateWorkflowResult>>('DhcpState', {
    taskQueue: TaskQueues.workflows,
    workflowId: dhcpStateWorkflowId(randomUUID()),
  });
  log.info(await reconcileDhcp(dhcp, networks), 'reconciled DHCP with the ports of the control plane');
  await client.connection.close();
}

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: TaskQueues.networkNode,
  interceptors: { activity: [activityLogging(log)] },
  activities: { ...createNoopActivities(), ...createDhcpActivities({ dhcp }) },
});
log.info({ queue: TaskQueues.networkNode }, 'network node started');
try {
  await worker.run();
} finally {
  await connection.close();
  log.info('network node stopped');
}
