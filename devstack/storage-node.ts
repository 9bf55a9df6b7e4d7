import type { NimbusConfig } from '../core/config.js';
import { unusedControlPort } from '../core/storage/backends/tgt/tgtd.js';
import { freePort } from './ports.js';

/**
 * Where this stack's tgtd listens, unless the environment says: a free 127.0.0.1 port and
 * a free control port, so a test stack and a running dev stack never share a tgtd. A fabric
 * gives the storage machine's underlay address and namespace (NIMBUS_ISCSI_PORTAL, NIMBUS_STORAGE_NETNS).
 */
export async function storageNodeWiring(
  config: NimbusConfig,
  given: NodeJS.ProcessEnv,
  machine?: Record<string, string>,
): Promise<Record<string, string>> {
  if (config.storageBackend !== 'tgt') return {};
  // On a fabric, the storage machine: the hosts' QEMU reaches its underlay address (tgtadm's unix
  // socket works across namespaces, so only tgtd runs inside).
  const portal = machine ? `${machine.NIMBUS_UNDERLAY_IP}:3260` : `127.0.0.1:${await freePort()}`;
  return {
    NIMBUS_ISCSI_PORTAL: given.NIMBUS_ISCSI_PORTAL || portal,
    NIMBUS_TGT_CONTROL_PORT: given.NIMBUS_TGT_CONTROL_PORT || String(unusedControlPort()),
    ...(machine && !given.NIMBUS_STORAGE_NETNS ? { NIMBUS_STORAGE_NETNS: machine.NIMBUS_NETNS } : {}),
  };
}
