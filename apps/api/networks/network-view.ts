import type { Network } from '../../../core/db/entities/index.js';

/** A network as REST and GraphQL show it. */
export function networkView(n: Network) {
  return {
    id: n.id,
    name: n.name,
    cidr: n.cidr,
    gateway: n.gateway,
    allocationStart: n.allocationStart,
    allocationEnd: n.allocationEnd,
    dnsServers: n.dnsServers,
    segmentation: { type: n.segmentationType, id: n.segmentationId },
    createdAt: n.createdAt,
  };
}

export type NetworkView = ReturnType<typeof networkView>;
