/**
 * The saga with a 'error' fault injected at each host step (claim, pull_image, spawn, plug_vif,
 * attach_volume, and the undos destroy, unplug_vif, detach_volume): every build ends ERROR,
 * or ACTIVE on another host when the fault is on one host before placement, and the
 * invariant checker finds nothing leaked. The cases are in test/support/fault-matrix.ts.
 */
import { faultMatrix } from '../support/fault-matrix.js';

faultMatrix('error');
