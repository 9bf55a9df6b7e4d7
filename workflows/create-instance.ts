import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { ComputeActivities, VolumeInfo } from '../contracts/activities.js';
import type { CreateInstanceInput } from '../contracts/instances.js';
import { InstanceStatusKey } from '../contracts/search-attributes.js';
import { TaskQueues, computeQueue } from '../contracts/task-queues.js';
import { controlPlane, undo } from './activity-options.js';
import { removeDhcpReservation } from './dhcp-steps.js';
import { CLEANUP_INCOMPLETE_PATCH, DHCP_RESERVATION_PATCH, HOST_LEDGER_PATCH } from './patches.js';
import { cleanupIncompleteFault, recordCleanupIncomplete } from './cleanup.js';
import { Build } from './build.js';
import { StepFailure, toFault } from './failures.js';
import { onHost } from './host-steps.js';
import { placeAndSpawn } from './placement.js';
import {
  STORAGE_NODE_PATCH,
  network,
  networkNode,
  networkUndo,
  storage,
  storageNode,
  storageNodeUndo,
  storageUndo,
} from './proxies.js';

/**
 * Builds one instance: schedule → claim → pull image → spawn → port + VIF → volume →
 * ACTIVE. Each step registers its undo first; on failure or cancellation the undos run
 * in reverse and the instance ends ERROR (or DELETED when the build was cancelled).
 */
export async function CreateInstance(input: CreateInstanceInput): Promise<{ host: string }> {
  const { instanceId } = input;
  const build = new Build(input);
  const { saga, progress, record } = build;

  try {
    const host = await placeAndSpawn(build);
    const run = onHost(host, build.timing);
    const computeUndo = proxyActivities<ComputeActivities>(undo(computeQueue(host), build.timing));

    saga.add('deallocatePort', () => networkUndo.deallocatePort({ instanceId }));
    const port = await build.step(
      'allocate_port',
      null,
      (carried) =>
        network.allocatePort.executeWithOptions(
          { ...controlPlane(TaskQueues.network), summary: `allocate a port on network ${input.networkId}` },
          [{ instanceId, networkId: input.networkId, host, ...carried }],
        ),
      true,
    );
    // The network node's DHCP reserves the port's address for its MAC before the guest's NIC
    // appears, so the guest's own DHCP client gets the address the API shows.
    // Builds recorded before the network node existed replay without it.
    if (build.has(DHCP_RESERVATION_PATCH)) {
      saga.add('removeDhcpReservation', () => removeDhcpReservation(instanceId));
      await build.step('add_dhcp_reservation', null, () =>
        networkNode.addDhcpReservation.executeWithOptions(
          { ...controlPlane(TaskQueues.networkNode), summary: `reserve ${port.ip} for ${port.mac} in DHCP` },
          [{ instanceId, port }],
        ),
      );
    }
    // What the host did is recorded by the control plane (the host never writes the database).
    const ledger = build.has(HOST_LEDGER_PATCH);
    // Its undo records nothing: the port's own undo (deallocatePort, next) removes it.
    saga.add(`unplugVif(${host})`, () => computeUndo.unplugVif({ instanceId }));
    await build.step('plug_vif', host, async () => {
      await run('plugVif', `plug ${port.ip} (${port.mac}) into ${input.name}`, { instanceId, port });
      if (ledger) await record.recordPortStatus({ instanceId, status: 'active' });
    });

    /** Attaches a volume on the host. Its undo only detaches: the volume's own undo decides whether it is deleted. */
    const attach = async (volume: VolumeInfo): Promise<void> => {
      const { volumeId } = volume;
      saga.add(`detachVolume(${host})`, async () => {
        await computeUndo.detachVolume({ instanceId, volumeId });
        if (ledger) await record.recordVolumeDetached({ volumeId, instanceId });
      });
      await build.step('attach_volume', host, async () => {
        const { device } = await run('attachVolume', `attach volume ${volumeId} to ${input.name}`, {
          instanceId,
          volume,
        });
        if (ledger) await record.recordVolumeAttached({ volumeId, instanceId, host, device });
      });
    };

    /**
     * The storage node makes the recorded export real and lets this host's initiator in. Its
     * undo is the ACL entry only for the user's volume, the target and file for the build's own.
     */
    const exportOnNode = async (volume: VolumeInfo, owned: boolean): Promise<void> => {
      if (!build.has(STORAGE_NODE_PATCH)) return;
      const { volumeId, sizeGb } = volume;
      saga.add(owned ? 'destroyVolume' : 'unexportVolume', () =>
        owned
          ? storageNodeUndo.destroyVolume({ volumeId, pool: volume.pool })
          : storageNodeUndo.unexportVolume({ volumeId, host }),
      );
      await build.step('export_volume', null, () =>
        storageNode.exportVolume.executeWithOptions(
          { ...controlPlane(TaskQueues.storageNode), summary: `export volume ${volumeId} to ${host}` },
          [{ volume: { volumeId, sizeGb, pool: volume.pool! }, connection: volume.connection, host }],
        ),
      );
    };

    if (input.volume && 'volumeId' in input.volume) {
      // The user's standalone volume: reserved for this build, given back (never deleted) on failure.
      // Only inputs that name one take this branch, so builds started before it replay unchanged.
      const { volumeId } = input.volume;
      saga.add('unreserveVolume', () => storageUndo.unreserveVolume({ volumeId, instanceId }));
      const volume = await build.step(
        'reserve_volume',
        null,
        (carried) =>
          storage.reserveVolume.executeWithOptions(
            { ...controlPlane(TaskQueues.storage), summary: `reserve volume ${volumeId} for ${input.name}` },
            [{ volumeId, instanceId, projectId: input.projectId, host, ...carried }],
          ),
        true,
      );
      await exportOnNode(volume, false);
      await attach(volume);
    } else if (input.volume) {
      const { sizeGb } = input.volume;
      const volumeId = uuid4(); // Deterministic on replay: the id that makes createVolume idempotent.
      saga.add('deleteVolume', () => storageUndo.deleteVolume({ volumeId, instanceId }));
      const volume = await build.step(
        'create_volume',
        null,
        (carried) =>
          storage.createVolume.executeWithOptions(
            { ...controlPlane(TaskQueues.storage), summary: `create a ${sizeGb} GB volume` },
            [{ volumeId, instanceId, projectId: input.projectId, sizeGb, ...carried }],
          ),
        true,
      );
      await exportOnNode(volume, true);
      await attach(volume);
    }

    await record.recordActive({ instanceId, host });
    progress.ended('ACTIVE');
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'ACTIVE' }]);
    setCurrentDetails(`ACTIVE on ${host}`);
    return { host };
  } catch (err) {
    const fault = toFault(err);
    const cancelled = isCancellation(err instanceof StepFailure ? err.error : err);
    await saga.compensate();
    // An undo that failed for good (this saga's or a failed host attempt's): never DELETED, nor
    // the step's fault alone, over leftovers. Only such builds mark the patch.
    const leftovers = progress.leftovers();
    if (leftovers.length > 0 && build.has(CLEANUP_INCOMPLETE_PATCH)) {
      const incomplete = cleanupIncompleteFault(leftovers, cancelled ? 'delete' : fault, progress.state.host);
      progress.ended('ERROR', incomplete);
      throw await CancellationScope.nonCancellable(async () => {
        await build.flush();
        return recordCleanupIncomplete(instanceId, incomplete, build.records);
      });
    }
    if (cancelled) {
      // DELETE of a building instance: the saga has released everything; the instance is gone.
      // The workflow's scope is cancelled: an activity scheduled in it would be cancelled at once.
      await CancellationScope.nonCancellable(() => record.recordDeleted({ instanceId }));
      progress.ended('DELETED');
      upsertSearchAttributes([{ key: InstanceStatusKey, value: 'DELETED' }]);
      throw err instanceof StepFailure ? err.error : err;
    }
    await record.recordFault({ instanceId, fault });
    progress.ended('ERROR', fault);
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'ERROR' }]);
    setCurrentDetails(`ERROR: ${fault.code}`);
    throw ApplicationFailure.nonRetryable(fault.message, fault.code, fault);
  }
}
