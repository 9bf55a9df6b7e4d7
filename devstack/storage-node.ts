import type { NimbusConfig } from '../core/config.js';
import { unusedControlPort } from '../core/storage/backends/tgt/tgtd.js';
import { freePort } from './ports.js';

/**
 * Where this stack's tgtd listens, unless the environment says: a free 127.0.0.1 port and
 * a free control port, so a test stack and a running dev stack never share a tgtd. A fabric
 * sets NIMBUS_ISCSI_PORTAL (the storage machine's underlay address) and NIMBUS_STORAGE_NETNS.
 */
export async function storageNodeWiring(
  config: NimbusConfig,
  given: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  if (config.storageBackend !== 'tgt') return {};
  return {
    NIMBUS_ISCSI_PORTAL: given.NIMBUS_ISCSI_PORTAL || `127.0.0.1:${await freePort()}`,
    NIMBUS_TGT_CONTROL_PORT: given.NIMBUS_TGT_CONTROL_PORT || String(unusedControlPort()),
  };
}
