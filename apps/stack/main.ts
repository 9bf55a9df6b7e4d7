/**
 * `npm start`: the whole Nimbus stack on embedded defaults (see devstack/stack.ts).
 * `--infra-only`: PostgreSQL, Temporal and migrations only, to run each app by hand.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig, type NimbusConfig } from '../../core/config.js';
import { chooseHypervisor, type HypervisorChoice } from '../../devstack/hypervisor-choice.js';
import { startStack, type StackHandle } from '../../devstack/stack.js';

const AGENTS = ['node-1', 'node-2', 'node-3'];
const infraOnly = process.argv.includes('--infra-only');

function banner(stack: StackHandle, config: NimbusConfig, hypervisor?: HypervisorChoice): string {
  const auth = `-H "Authorization: Bearer ${stack.adminToken}"`;
  const lines = [
    '',
    infraOnly ? 'Nimbus infrastructure is running (no apps).' : 'Nimbus is running.',
    '',
    ...(infraOnly
      ? []
      : [
          `  Web console  ${stack.apiUrl}/ (sign in with the admin token below)`,
          `  REST API     ${stack.apiUrl}/v1`,
          `  GraphQL      ${stack.graphqlUrl}`,
          `  API docs     ${stack.docsUrl}`,
          `  OpenStack    ${stack.apiUrl}/identity/v3 (user admin): source ${stack.openrcFile}; openstack server list`,
        ]),
    `  Temporal UI  ${stack.temporalUiUrl ?? '(external Temporal: see its own UI)'}`,
    `  Temporal     ${stack.temporalAddress} (namespace ${stack.temporalNamespace})`,
    `  PostgreSQL   ${stack.databaseUrl}`,
    `  Admin token  ${stack.adminToken}`,
    `               (saved in ${stack.adminTokenFile})`,
    `  Data         ${config.dataDir}`,
    ...(hypervisor ? [`  Hypervisor   ${hypervisor.summary}`] : []),
    // devstack/fabric.ts: with QEMU as root each compute host is a machine of its own.
    ...(hypervisor?.type === 'qemu' && process.getuid?.() === 0
      ? [`  Hosts        network namespaces ${config.netnsPrefix}<host> on ${config.netnsPrefix}fabric`]
      : []),
    '',
  ];
  if (infraOnly) {
    lines.push(
      'Run the apps against it, each in its own terminal, with the same environment:',
      '  npm run api',
      '  npm run controller',
      '  npm run compute-agent -- --host node-1',
      '  npm run network-node',
    );
  } else {
    lines.push(
      'Try it:',
      `  curl -s -X POST ${stack.apiUrl}/v1/instances ${auth} \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"name":"web-1","flavor":"m1.small","image":"cirros","network":"default"}'`,
      `  curl -s ${stack.apiUrl}/v1/instances ${auth}`,
    );
  }
  lines.push('', 'Stop with Ctrl-C.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  let config: NimbusConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Bad configuration: ${error.message}\n`);
    process.exit(1);
  }
  const log = pino({ name: 'stack', level: config.logLevel });

  // First signal: stop everything in order. Second: give up waiting (the exit guard still
  // signals every child as this process exits).
  const abort = new AbortController();
  let stack: StackHandle | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`\n${signal} again: exiting without waiting.\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: stopping Nimbus (again to force)...\n`);
    // Still starting: startStack sees the abort, stops what it started, and main() exits.
    abort.abort();
    if (stack) void stack.stop().then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  // The agents' driver and the seed image, decided (and QEMU installed) before anything starts.
  const hypervisor = infraOnly
    ? undefined
    : await chooseHypervisor(config, process.env.NIMBUS_HYPERVISOR || undefined, (line) => log.info(line));
  const env: Record<string, string> = {};
  if (hypervisor) {
    env.NIMBUS_HYPERVISOR = hypervisor.type;
    if (hypervisor.seedImageFile) env.NIMBUS_SEED_IMAGE_FILE = hypervisor.seedImageFile;
    log.info({ hypervisor: hypervisor.type, seedImage: hypervisor.seedImageFile ?? 'generated' }, hypervisor.summary);
    // What follows from the choice (hosts as machines on a fabric, the tgt storage node) is the stack's to wire.
    config = loadConfig({ ...process.env, ...env });
  }
  try {
    stack = await startStack(config, {
      agents: infraOnly ? [] : AGENTS,
      infraOnly,
      log,
      env,
      signal: abort.signal,
    });
  } catch (error) {
    // startStack has already stopped what it started.
    if (abort.signal.aborted) process.exit(0);
    process.stderr.write(`\nNimbus did not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(banner(stack, config, hypervisor));
}

await main();
