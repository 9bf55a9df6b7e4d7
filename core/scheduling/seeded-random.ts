/**
 * A seeded source of numbers in [0, 1) (mulberry32): the scheduler's random choice among the
 * best hosts, repeatable when NIMBUS_SCHEDULER_SEED is set (tests, benchmarks).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
