/**
 * Anomaly and regression rules on a synthetic workload with known anomalies,
 * run through the real engine (sampler, history, rule state machine) on a
 * manual clock. Precision and recall are computed per event and printed;
 * docs/health-and-alerting.md reports them. An event counts as detected when
 * the rule fires during it or one evaluation after; a firing episode is a
 * false positive when it overlaps no event.
 */
import { describe, expect, it } from 'vitest';
import { alertingFixture } from './support.js';

/** Deterministic pseudo-random numbers (mulberry32) and normal deviates (Box-Muller). */
function random(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

interface Event {
  start: number;
  end: number;
}

/** Events spaced at least `gap` apart, each `min`..`max` steps long, after `warmup`. */
function events(
  rng: ReturnType<typeof random>,
  steps: number,
  count: number,
  warmup: number,
  min: number,
  max: number,
  gap: number,
): Event[] {
  const out: Event[] = [];
  let at = warmup + gap;
  while (out.length < count && at < steps - max) {
    const length = min + Math.floor(rng.uniform() * (max - min + 1));
    out.push({ start: at, end: at + length - 1 });
    at += length + gap + Math.floor(rng.uniform() * gap);
  }
  return out;
}

function score(firingSteps: readonly number[], truth: readonly Event[], slack = 1) {
  const firing = new Set(firingSteps);
  const detected = truth.filter((e) => [...firing].some((s) => s >= e.start && s <= e.end + slack)).length;
  const episodes: Event[] = [];
  for (const s of [...firing].sort((a, b) => a - b)) {
    const last = episodes[episodes.length - 1];
    if (last && s === last.end + 1) last.end = s;
    else episodes.push({ start: s, end: s });
  }
  const truePositives = episodes.filter((ep) => truth.some((e) => ep.start <= e.end + slack && ep.end >= e.start)).length;
  return {
    events: truth.length,
    detected,
    episodes: episodes.length,
    falsePositives: episodes.length - truePositives,
    precision: episodes.length ? truePositives / episodes.length : 1,
    recall: truth.length ? detected / truth.length : 1,
  };
}

const STEPS = 3000;
const report: string[] = [];

describe('detection quality on a synthetic workload with known anomalies', () => {
  it.each([
    { z: 3, alpha: 0.05, warmup: 30 },
    { z: 4, alpha: 0.05, warmup: 30 },
  ])(
    'anomaly rule (EWMA z-score, z=$z, alpha=$alpha, warmup=$warmup): spikes and dips on a noisy, drifting signal',
    async ({ z, alpha, warmup }) => {
      const rng = random(42);
      const truth = events(rng, STEPS, 40, warmup, 2, 6, 40);
      const sizes = truth.map(() => 5 * (3 + 5 * rng.uniform()));
      const f = alertingFixture({
        rules: [{ name: 'Anomaly', condition: { kind: 'anomaly', selector: 'queue_latency', measure: 'value', alpha, z, warmup } }],
      });
      const gauge = f.metrics.gauge('queue_latency', { help: 'A noisy signal.' });
      const firing: number[] = [];
      for (let step = 0; step < STEPS; step++) {
        const base = 100 + 20 * Math.sin((2 * Math.PI * step) / 600) + 5 * rng.normal();
        const event = truth.findIndex((e) => step >= e.start && step <= e.end);
        // Alternate spikes and dips of 3 to 8 noise standard deviations (the size is drawn per event).
        gauge.set(event < 0 ? base : base + (event % 2 === 0 ? 1 : -1) * sizes[event]!);
        await f.scheduler.advance(step === 0 ? 0 : 10_000);
        if (f.stateOf('Anomaly').includes('firing')) firing.push(step);
      }
      const s = score(firing, truth);
      report.push(`anomaly z=${z} alpha=${alpha} warmup=${warmup}: ${JSON.stringify(s)}`);
      console.log(report.at(-1));
      expect(s.recall).toBeGreaterThanOrEqual(z === 3 ? 0.85 : 0.6);
      expect(s.precision).toBeGreaterThanOrEqual(0.8);
    },
  );

  it('regression rule (p90 over 1m vs the 5m before, tolerance 30%): sustained latency regressions', async () => {
    const rng = random(7);
    const truth = events(rng, STEPS, 25, 60, 12, 30, 60);
    // Each regression slows requests by 25% to 125%; with a 30% tolerance the smallest are meant to pass unnoticed.
    const factors = truth.map(() => 1.25 + rng.uniform());
    const f = alertingFixture({
      rules: [
        {
          name: 'Regression',
          condition: {
            kind: 'regression',
            selector: 'req_seconds',
            measure: 'quantile',
            quantile: 0.9,
            window: '1m',
            baseline: '5m',
            tolerance: 0.3,
          },
        },
      ],
    });
    const h = f.metrics.histogram('req_seconds', { help: 'Latency.', buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2] });
    const firing: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const event = truth.findIndex((e) => step >= e.start && step <= e.end);
      const factor = event < 0 ? 1 : factors[event]!;
      for (let i = 0; i < 50; i++) h.observe(Math.max(0.001, factor * (0.2 + 0.05 * rng.normal())));
      await f.scheduler.advance(step === 0 ? 0 : 10_000);
      if (f.stateOf('Regression').includes('firing')) firing.push(step);
    }
    // A regression is visible once the 1 m window holds it: allow that delay.
    const s = score(firing, truth, 6);
    const big = score(
      firing,
      truth.filter((_, i) => factors[i]! >= 1.5),
      6,
    );
    report.push(`regression p90 1m vs 5m tol 0.3: ${JSON.stringify(s)}; regressions >= 50%: recall ${big.recall}`);
    console.log(report.at(-1));
    expect(big.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.precision).toBeGreaterThanOrEqual(0.8);
  });
});
