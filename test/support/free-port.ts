/**
 * Free TCP ports on 127.0.0.1 for tests: bind port 0, read what the OS chose, close. The
 * implementation lives with the dev stack, which needs the same thing.
 */
export { freePort, freePorts, isPortFree } from '../../devstack/ports.js';
