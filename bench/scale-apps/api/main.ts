// The real API: a scale run (bench/scale.ts) replaces only the controller (see ../controller/main.ts).
await import('../../../apps/api/main.js');
