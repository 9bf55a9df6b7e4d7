import { Context } from '@temporalio/activity';
import type { ClaimInput, ComputeActivities } from '../contracts/activities.js';
import { FaultCodes } from '../contracts/errors.js';
import type { FlavorSpec, ImageRef } from '../contracts/instances.js';
import type { PortInfo } from '../contracts/network.js';
import type { VolumeInfo } from '../contracts/storage.js';
import { DomainError } from '../core/errors.js';
import type { HypervisorDriver } from '../core/hypervisor/driver.js';
import { InjectedFailure, type FailureInjector } from '../core/hypervisor/failure-injector.js';
import type { NodeImageCache } from '../core/images/node-cache.js';
import { bindPort } from '../core/network/port-binding.js';
import type { VifDriver } from '../core/network/vif/vif-driver.js';
import type { HostLedger } from '../core/scheduling/host-ledger.js';
import type { VolumeConnector } from '../core/storage/connector.js';
import { classified } from './failures.js';
import { withHeartbeat } from './heartbeat.js';

/**
 * What a compute host's steps work with: all of it on the host itself. The host reaches only
 * Temporal and the image service; what its steps change in the database (the claim, the
 * port's status, the volume's attachment) the workflow records afterwards (recordClaim …).
 */
export interface ComputeDeps {
  host: string;
  /** The host's own account of its promised room: claims are decided here. */
  ledger: HostLedger;
  driver: HypervisorDriver;
  /** Host-side wiring of ports, from the binding the network service chose. */
  vifs: VifDriver;
  /** Host-side half of a volume attachment: connection → what the driver attaches. */
  connector: VolumeConnector;
  images: NodeImageCache;
  faults: FailureInjector;
  /** NIMBUS_IMAGE_CACHE_MAX_BYTES: after each pull, unused images are evicted down to this. */
  imageCacheMaxBytes?: number;
}

/** What pullImage heartbeats: how far the download is, for a retry to resume and the API to show. */
export interface PullProgress {
  bytes: number;
  total: number;
}

const PULL_HEARTBEAT_MS = 2000;

/** The steps a compute agent runs on its own host (queue `compute.HOST`). */
export function createComputeActivities(deps: ComputeDeps): ComputeActivities {
  const { host, driver, vifs, connector, images, faults } = deps;

  /** Keeps the node cache under its limit; a failed eviction must not fail the step. */
  async function evictImages(): Promise<void> {
    if (deps.imageCacheMaxBytes === undefined) return;
    try {
      const { evicted, totalBytes } = await images.evict(deps.imageCacheMaxBytes);
      if (evicted.length === 0) return;
      Context.current().log.info('evicted unused images', { evicted, totalBytes, maxBytes: deps.imageCacheMaxBytes });
    } catch (err) {
      Context.current().log.warn('image cache eviction failed', { error: (err as Error).message });
    }
  }

  return {
    async claimResources({ instanceId, flavor, attemptNo }: ClaimInput): Promise<void> {
      // The first heartbeat goes out before anything else: the claim's short heartbeat timeout
      // is how a frozen agent is told from a slow one, so a live agent says so at once and
      // keeps saying it while a fault or a slow disk holds it up (workflows/host-steps.ts).
      await classified(() =>
        withHeartbeat(async (signal) => {
          try {
            await faults.before('claim', { instanceId, signal });
          } catch (err) {
            // An injected claim error is the host saying no, as a full or stale host would.
            if (err instanceof InjectedFailure) {
              throw new DomainError(FaultCodes.HostRefused, `host ${host} refused the claim (injected fault)`, {
                host,
              });
            }
            throw err;
          }
          await deps.ledger.claim(instanceId, flavor, attemptNo);
        }),
      );
    },

    async releaseHostClaim({ instanceId, attemptNo }): Promise<void> {
      await classified(() => deps.ledger.release(instanceId, attemptNo));
    },

    async pullImage({ instanceId, image }: { instanceId: string; image: ImageRef }): Promise<{ cached: boolean }> {
      const ctx = Context.current();
      // A retried pull resumes where the last attempt got to: the partial file on disk holds
      // the bytes, its heartbeat details the offset it reported (shown until new progress comes).
      const previous = ctx.info.heartbeatDetails as Partial<PullProgress> | undefined;
      const resumeFrom = Number.isSafeInteger(previous?.bytes) ? previous!.bytes! : 0;
      let latest: PullProgress = { bytes: resumeFrom, total: image.sizeBytes };
      // Every heartbeat carries the progress: the server keeps only the last one's details,
      // so a bare liveness heartbeat would erase the offset a retry and the API read.
      const beat = () => ctx.heartbeat(latest);
      beat();
      const timer = setInterval(beat, PULL_HEARTBEAT_MS);
      try {
        return await classified(async () => {
          // Marked before the cache is consulted, so an eviction can never take it from under us.
          await images.markInUse(image.sha256, instanceId);
          try {
            await faults.before('pull_image', { instanceId, signal: ctx.cancellationSignal });
            if (resumeFrom > 0) {
              ctx.log.info('resuming image pull', {
                image: image.id,
                previousBytes: resumeFrom,
                total: image.sizeBytes,
              });
            }
            const result = await images.ensure(image, {
              resumeFrom,
              signal: ctx.cancellationSignal,
              onProgress: (bytes, total) => {
                latest = { bytes, total };
                beat();
              },
            });
            await evictImages();
            return { cached: !result.downloaded };
          } catch (err) {
            // No domain will boot from it: a failed pull must not pin the image forever.
            // A retry of this activity marks it again.
            await images.release(image.sha256, instanceId).catch(() => undefined);
            throw err;
          }
        });
      } finally {
        clearInterval(timer);
      }
    },

    async spawnDomain(input: { instanceId: string; name: string; flavor: FlavorSpec; image: ImageRef }): Promise<void> {
      const { instanceId, name, flavor, image } = input;
      const { vcpus, ramMb, diskGb } = flavor;
      const spec = {
        instanceId,
        name,
        vcpus,
        ramMb,
        diskGb,
        imagePath: images.pathOf(image.sha256),
        imageSha256: image.sha256,
      };
      await classified(() => withHeartbeat((signal) => driver.spawn(spec, { signal })));
    },

    async destroyDomain({ instanceId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          // A destroyed domain lets go of its NICs: their host devices go too (a no-op after unplugVif).
          const plugged = (await driver.getDomain(instanceId))?.vifs ?? [];
          await driver.destroy(instanceId, { signal });
          for (const vif of plugged) await vifs.unplug(vif, { signal });
          // By instance, not by the domain's image: a spawn that failed leaves no domain to ask.
          await images.releaseInstance(instanceId);
          await evictImages();
        }),
      );
    },

    async plugVif({ instanceId, port }: { instanceId: string; port: PortInfo }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          // Ports recorded before bindings existed (old histories, builds in flight) get the same one derived here.
          const binding = port.binding ?? bindPort(port);
          // Nova's order: the host device first (os-vif plug), then the guest's NIC on it.
          const { tapDevice, bridge } = await vifs.plug(
            { instanceId, portId: port.portId, mac: port.mac, networkId: port.networkId, binding },
            { signal },
          );
          const { portId, mac, ip, networkId, segmentation } = port;
          const nic = { portId, mac, ip, networkId, segmentation, tapDevice, bridge };
          try {
            await driver.plugVif(instanceId, nic, { signal });
          } catch (err) {
            // The guest has no NIC on it, so no undo would find the tap through the domain: take it
            // back now (a retry makes it again). A crash here leaves it to the host's reconciliation.
            await vifs.unplug({ portId, tapDevice, bridge }).catch(() => undefined);
            throw err;
          }
        }),
      );
    },

    async unplugVif({ instanceId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          // The domain knows which host devices its NICs use; the reverse of plugVif's order.
          const plugged = (await driver.getDomain(instanceId))?.vifs ?? [];
          await driver.unplugVif(instanceId, undefined, { signal });
          for (const vif of plugged) await vifs.unplug(vif, { signal });
        }),
      );
    },

    async attachVolume({
      instanceId,
      volume,
    }: {
      instanceId: string;
      volume: VolumeInfo;
    }): Promise<{ device: string }> {
      return classified(() =>
        withHeartbeat(async (signal) => {
          // os-brick's step: the connection becomes what the hypervisor attaches.
          const spec = await connector.connectVolume(volume.volumeId, volume.connection, { signal });
          const { device } = await driver.attachVolume(instanceId, spec, { signal });
          return { device };
        }),
      );
    },

    async detachVolume({ instanceId, volumeId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          await driver.detachVolume(instanceId, volumeId, { signal });
          await connector.disconnectVolume(volumeId, { signal });
        }),
      );
    },
  };
}
