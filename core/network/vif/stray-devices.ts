/**
 * The host devices a host should have (a tap per live port there, the bridge of each such
 * port's network): the control plane works them out (core/network/live-vif-devices.ts), the
 * host compares them with what it has. Host-side: no database here.
 */
export interface ExpectedDevices {
  taps: Set<string>;
  bridges: Set<string>;
}

/**
 * The devices of `devices` (bridge → taps, bare taps under '') that belong to no live port:
 * taps first, then bridges left with no tap that belongs.
 */
export function strayDevices(devices: Record<string, string[]>, expected: ExpectedDevices): string[] {
  const taps = Object.values(devices)
    .flat()
    .filter((t) => !expected.taps.has(t));
  const bridges = Object.entries(devices)
    .filter(([bridge, on]) => bridge !== '' && !expected.bridges.has(bridge) && on.every((t) => taps.includes(t)))
    .map(([bridge]) => bridge);
  return [...taps.sort(), ...bridges.sort()];
}
