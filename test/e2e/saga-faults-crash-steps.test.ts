/**
 * The saga with a 'crash' fault injected at claim, pull_image, plug_vif and attach_volume (the rest is in
 * saga-faults-crash-spawn-and-undos.test.ts: one file per half keeps each well under two minutes).
 * Every build ends ERROR, or ACTIVE on another host when the fault is on one host before
 * placement, and the invariant checker finds nothing leaked. Cases: test/support/fault-matrix.ts.
 */
import { faultMatrix } from '../support/fault-matrix.js';

faultMatrix('crash', 'steps');
