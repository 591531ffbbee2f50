// Micro-benchmark harness: each case is `(n) => void` running n operations
// in its own loop. Cases of one group run interleaved, round after round, so
// drift on a noisy machine hits them alike; the median round is reported.
// Synchronous cases are timed in process CPU time (user + system): on a
// shared machine the time a process waits for a core is not its cost, and
// wall clock made ratios swing by 2x at load 10. Async cases wait on I/O and
// other processes, so they keep wall clock.

const now = () => process.hrtime.bigint();

/** Finds an n that makes one round last about `targetMs`. */
function calibrate(fn, targetMs) {
  let n = 1_000;
  for (;;) {
    const start = now();
    fn(n);
    const ms = Number(now() - start) / 1e6;
    if (ms >= targetMs / 4 || n >= 1e9) return Math.max(1, Math.round((n * targetMs) / Math.max(ms, 0.001)));
    n *= 4;
  }
}

/**
 * Runs every case of a group, round after round, and returns each case's
 * ns/op per round. Odd rounds run the cases in reverse order, so that no case
 * always follows the same neighbour (GC debt, caches, frequency).
 * @param {Record<string, (n: number) => void>} cases
 * @returns {Record<string, number[]>}
 */
export function measureRounds(cases, { rounds = 9, targetMs = 60 } = {}) {
  const names = Object.keys(cases);
  const sizes = {};
  for (const name of names) {
    cases[name](1_000); // warm up: let the JIT see the loop
    sizes[name] = calibrate(cases[name], targetMs);
  }
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      globalThis.gc?.();
      const start = process.cpuUsage();
      cases[name](sizes[name]);
      const cpu = process.cpuUsage(start);
      samples[name].push(((cpu.user + cpu.system) * 1000) / sizes[name]);
    }
  }
  return samples;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each case's median round, by name. */
export function medians(samples) {
  return Object.fromEntries(Object.entries(samples).map(([n, xs]) => [n, median(xs)]));
}

/** Runs every case of a group and returns ns/op (median of rounds) by name. */
export function measure(cases, options) {
  return medians(measureRounds(cases, options));
}

/**
 * The cost of `b` relative to `a` from rounds of measureRounds: the median of
 * the per-round ratios. Each ratio compares two runs taken back to back, so
 * load that drifts between rounds cancels out instead of landing on one side.
 */
export function pairedRatio(samples, a, b) {
  return median(samples[b].map((x, i) => x / samples[a][i]));
}

/**
 * Times an async operation (ms per call), median over rounds, after
 * `warmup` calls of each case (code V8 is still optimizing ran 2-5x slower
 * for the first ~10 calls of a 3 ms exposition). A round times `batch`
 * calls in a row after one full GC: the sweeping that follows a forced GC,
 * and any other process's work, then weigh on a millisecond-long case no
 * more than on a case 20 times longer.
 */
export async function measureAsync(cases, { rounds = 9, warmup = 1, batch = 1 } = {}) {
  const names = Object.keys(cases);
  for (const name of names) for (let i = 0; i < warmup; i++) await cases[name]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      globalThis.gc?.();
      const start = now();
      for (let i = 0; i < batch; i++) await cases[name]();
      samples[name].push(Number(now() - start) / 1e6 / batch);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

/** Log-normal latencies in seconds (median ~50 ms), the same every run: the histogram cases' values. */
export function logNormalValues(n = 4096, seed = 7) {
  const values = new Float64Array(n);
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  for (let i = 0; i < n; i++) values[i] = Math.exp(-3 + Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()));
  return values;
}
