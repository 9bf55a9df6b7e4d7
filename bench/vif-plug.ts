/**
 * The linuxbridge VIF driver on a real machine namespace (root): how long a plug takes on a
 * network new to the host (bridge + VXLAN + tap), a second port's plug (tap only), and the
 * unplug of both (the last removes bridge and VXLAN). Makes and removes its own fabric.
 *
 *   node dist/bench/vif-plug.js [--networks 20]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ipRunner } from '../core/network/linux/ip.js';
import { bindPort } from '../core/network/port-binding.js';
import { LinuxBridgeVifDriver } from '../core/network/vif/linuxbridge-vif-driver.js';
import { createFabric } from '../devstack/fabric.js';
import { summarize } from './stats.js';

const { values } = parseArgs({ options: { networks: { type: 'string', default: '20' } } });
const fabric = await createFabric(`vb${process.pid}-`);
try {
  const m = await fabric.joinFabric('h1');
  const vifs = new LinuxBridgeVifDriver({ ip: ipRunner(m.netns), uplink: m.uplink, localIp: m.underlayIp });
  const [first, second, unplug] = [[], [], []] as number[][];
  const timed = async <T>(into: number[], run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await run();
    into.push(performance.now() - started);
    return result;
  };
  for (let i = 0; i < Number(values.networks); i++) {
    const networkId = randomUUID();
    const port = () => {
      const portId = randomUUID();
      const binding = bindPort({ portId, networkId, segmentation: { type: 'vxlan', id: 9000 + i } });
      return { instanceId: 'bench', portId, mac: 'fa:16:3e:00:00:01', networkId, binding };
    };
    const a = await timed(first, () => vifs.plug(port()));
    const b = await timed(second, () => vifs.plug(port()));
    await timed(unplug, async () => {
      await vifs.unplug(b);
      await vifs.unplug(a);
    });
  }
  console.log(
    JSON.stringify(
      { newNetwork: summarize(first), secondPort: summarize(second), unplugBoth: summarize(unplug) },
      null,
      2,
    ),
  );
} finally {
  await fabric.destroy();
}
