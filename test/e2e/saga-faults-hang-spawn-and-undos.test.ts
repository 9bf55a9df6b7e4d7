/**
 * The saga with a 'hang' fault injected at spawn and the undos destroy, unplug_vif and detach_volume (the rest is in
 * saga-faults-hang-steps.test.ts: one file per half keeps each well under two minutes).
 * Every build ends ERROR, or ACTIVE on another host when the fault is on one host before
 * placement, and the invariant checker finds nothing leaked. Cases: test/support/fault-matrix.ts.
 */
import { faultMatrix } from '../support/fault-matrix.js';

faultMatrix('hang', 'spawn-and-undos');
