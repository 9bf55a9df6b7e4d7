/** The workflow bundle's entry: every workflow type the controller's worker runs. */
export { CreateInstance } from './create-instance.js';
export { DeleteInstance } from './delete-instance.js';
export { BenchFloor } from './bench-floor.js';
export { InstancePowerAction } from './power-action.js';
export { InstanceConsole } from './console-output.js';
export { HostFaults } from './host-faults.js';
export { DhcpState } from './dhcp-state.js';
export { AttachVolume, DetachVolume } from './volume-attachment.js';
export { ReconcileStorage } from './reconcile-storage.js';
export { HostSync } from './host-sync.js';
export { HostHeartbeats } from './host-heartbeats.js';
