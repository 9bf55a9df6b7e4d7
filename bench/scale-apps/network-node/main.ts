// The real network node: a scale run (bench/scale.ts) replaces only the controller (see ../controller/main.ts).
await import('../../../apps/network-node/main.js');
