// The real storage node: a scale run (bench/scale.ts) replaces only the controller (see ../controller/main.ts).
await import('../../../apps/storage-node/main.js');
