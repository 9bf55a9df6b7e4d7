/**
 * The saga with a 'hang' fault injected at claim, pull_image, plug_vif and attach_volume (the rest is in
 * saga-faults-hang-spawn-and-undos.test.ts: one file per half keeps each well under two minutes).
 * Every build ends ERROR, or ACTIVE on another host when the fault is on one host before
 * placement, and the invariant checker finds nothing leaked. Cases: test/support/fault-matrix.ts.
 */
import { faultMatrix } from '../support/fault-matrix.js';

faultMatrix('hang', 'steps');
