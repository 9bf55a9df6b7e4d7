/**
 * Many simulated compute hosts (fake hypervisor) in one process, for scale runs:
 *   node dist/apps/compute-agent/simulated-hosts.js --count 1000 [--prefix sim-]
 *     [--vcpus 2 --ram-mb 1024,1536 --disk-gb 10] [--pollers 1]
 * Hosts are named <prefix>0001.. ; a comma list of capacities is cycled over the hosts (a
 * mixed fleet). Each host registers, heartbeats and serves `compute.HOST` as a real agent
 * does (apps/compute-agent/simulated-fleet.ts). SIGTERM stops them all.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { installTemporalRuntime } from '../common/temporal-runtime.js';
import { startSimulatedFleet, type SimulatedHost } from './simulated-fleet.js';

const config = loadConfig();
const { values: args } = parseArgs({
  options: {
    count: { type: 'string' },
    prefix: { type: 'string', default: 'sim-' },
    vcpus: { type: 'string', default: '8' },
    'ram-mb': { type: 'string', default: '16384' },
    'disk-gb': { type: 'string', default: '160' },
    pollers: { type: 'string', default: '1' },
  },
});

const positive = (raw: string, name: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`--${name} must be a positive integer, not ${raw}`);
  return value;
};
const list = (raw: string, name: string): number[] => raw.split(',').map((x) => positive(x.trim(), name));

const count = positive(args.count ?? '', 'count');
if (!/^[a-z0-9][a-z0-9.-]{0,50}$/.test(args.prefix))
  throw new ConfigError('--prefix: lowercase letters, digits, dots, dashes');
const [vcpus, ramMb, diskGb] = [
  list(args.vcpus, 'vcpus'),
  list(args['ram-mb'], 'ram-mb'),
  list(args['disk-gb'], 'disk-gb'),
];
const width = Math.max(4, String(count).length);
const hosts: SimulatedHost[] = Array.from({ length: count }, (_, i) => ({
  name: `${args.prefix}${String(i + 1).padStart(width, '0')}`,
  vcpus: vcpus[i % vcpus.length],
  ramMb: ramMb[i % ramMb.length],
  diskGb: diskGb[i % diskGb.length],
}));

const log = createLogger('simulated-hosts', config.logLevel);
// Also turns SIGINT/SIGTERM into a graceful shutdown of every host's worker.
installTemporalRuntime(log);
const fleet = await startSimulatedFleet({ hosts, config, log, pollers: positive(args.pollers, 'pollers') });
await fleet.run();
