import { Context } from '@temporalio/activity';
import type { ClaimInput, ComputeActivities, PortInfo, VolumeInfo } from '../contracts/activities.js';
import type { FlavorSpec, ImageRef } from '../contracts/instances.js';
import type { PortAllocator } from '../core/network/port-allocator.js';
import type { ClaimService } from '../core/scheduling/claims.js';
import type { VolumeService } from '../core/storage/volume-service.js';
import type { HypervisorDriver } from '../core/hypervisor/driver.js';
import { InjectedFault, type FaultInjector } from '../core/hypervisor/fault-injector.js';
import { DomainError } from '../core/errors.js';
import { FaultCodes } from '../contracts/errors.js';
import type { NodeImageCache } from '../core/images/node-cache.js';
import { classified } from './failures.js';
import { withHeartbeat } from './heartbeat.js';

export interface ComputeDeps {
  host: string;
  claims: ClaimService;
  driver: HypervisorDriver;
  images: NodeImageCache;
  ports: PortAllocator;
  volumes: VolumeService;
  faults: FaultInjector;
}

/** The steps a compute agent runs on its own host (queue `compute.HOST`). */
export function createComputeActivities(deps: ComputeDeps): ComputeActivities {
  const { host, driver, images, faults } = deps;

  return {
    async claimResources({ instanceId, flavor }: ClaimInput): Promise<void> {
      await classified(async () => {
        try {
          await faults.before('claim', { instanceId, signal: Context.current().cancellationSignal });
        } catch (err) {
          // An injected claim error is the host saying no, as a full or stale host would.
          if (err instanceof InjectedFault) throw new DomainError(FaultCodes.HostRefused, `host ${host} refused the claim (injected fault)`, false, { host });
          throw err;
        }
        await deps.claims.claim(instanceId, host, flavor);
      });
    },

    async pullImage({ instanceId, image }: { instanceId: string; image: ImageRef }): Promise<{ cached: boolean }> {
      const ctx = Context.current();
      // A retried pull resumes from the offset the last attempt heartbeated.
      const resumeFrom = typeof ctx.info.heartbeatDetails === 'object' ? Number((ctx.info.heartbeatDetails as { bytes?: number })?.bytes ?? 0) : 0;
      return classified(() =>
        withHeartbeat(async (signal) => {
          await faults.before('pull_image', { instanceId, signal });
          await images.markInUse(image.sha256, instanceId);
          const result = await images.ensure(image, {
            resumeFrom,
            signal,
            onProgress: (bytes, total) => ctx.heartbeat({ bytes, total }),
          });
          return { cached: !result.downloaded };
        }),
      );
    },

    async spawnDomain({ instanceId, name, flavor, image }: { instanceId: string; name: string; flavor: FlavorSpec; image: ImageRef }): Promise<void> {
      await classified(() =>
        withHeartbeat((signal) =>
          driver.spawn(
            { instanceId, name, vcpus: flavor.vcpus, ramMb: flavor.ramMb, diskGb: flavor.diskGb, imagePath: images.pathOf(image.sha256), imageSha256: image.sha256 },
            { signal },
          ),
        ),
      );
    },

    async destroyDomain({ instanceId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          const domain = await driver.getDomain(instanceId);
          await driver.destroy(instanceId, { signal });
          if (domain) await images.release(domain.imageSha256, instanceId);
        }),
      );
    },

    async plugVif({ instanceId, port }: { instanceId: string; port: PortInfo }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          await driver.plugVif(instanceId, { portId: port.portId, mac: port.mac, ip: port.ip, networkId: port.networkId, segmentation: port.segmentation }, { signal });
          await deps.ports.setStatus(instanceId, 'active');
        }),
      );
    },

    async unplugVif({ instanceId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          await driver.unplugVif(instanceId, undefined, { signal });
          await deps.ports.setStatus(instanceId, 'down');
        }),
      );
    },

    async attachVolume({ instanceId, volume }: { instanceId: string; volume: VolumeInfo }): Promise<{ device: string }> {
      return classified(() =>
        withHeartbeat(async (signal) => {
          const { device } = await driver.attachVolume(instanceId, { volumeId: volume.volumeId, connection: volume.connection }, { signal });
          await deps.volumes.markAttached({ volumeId: volume.volumeId, instanceId, host, device });
          return { device };
        }),
      );
    },

    async detachVolume({ instanceId, volumeId }): Promise<void> {
      await classified(() =>
        withHeartbeat(async (signal) => {
          await driver.detachVolume(instanceId, volumeId, { signal });
          await deps.volumes.markDetached(volumeId);
        }),
      );
    },
  };
}
