import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Registry } from '../../src/core/registry.js';
import { createMetrics } from '../../src/index.js';

// expose() yields to the event loop whenever a slice of rendering has taken
// its time: 1 ms, or 5 ms for a registry of at most 2,000 series
// (core/registry.ts), unless the caller gives a slice. The clock is faked so
// that the slices do not depend on the machine's speed: each reading of
// performance.now() advances it by 0.25 ms (the registry reads it once per
// chunk of 64 series).

/** Event-loop turns that ran while `scrape` did: an immediate re-queued by itself counts them. */
async function turnsDuring(scrape: () => Promise<string>): Promise<{ turns: number; text: string }> {
  const state = { turns: 0, done: false };
  const again = (): void => void (state.done || (state.turns++, setImmediate(again)));
  setImmediate(again);
  const text = await scrape();
  state.done = true;
  return { turns: state.turns, text };
}

function histograms(series: number) {
  const m = createMetrics({ maxSeriesPerMetric: 10_000 });
  const h = m.histogram('lat_seconds', { help: 'l', labelNames: ['route'] });
  for (let i = 0; i < series; i++) h.observe({ route: `/r/${i}` }, i / 1000);
  return m.registry as Registry;
}

function fakeClock() {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => (now += 0.25));
}

const counts = (text: string) => text.split('\n').filter((l) => l.startsWith('lat_seconds_count')).length;

describe('expose() slices', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives a registry of at most 2,000 series 5 ms slices', async () => {
    const registry = histograms(2_000); // 32 chunks: 8 ms on the fake clock
    fakeClock();
    const { turns, text } = await turnsDuring(() => registry.expose('prometheus'));
    expect(turns).toBeGreaterThanOrEqual(1);
    expect(turns).toBeLessThanOrEqual(2);
    expect(counts(text)).toBe(2_000);
  });

  it('renders a small registry whose scrape takes less than 5 ms in one turn', async () => {
    const registry = histograms(1_000); // 16 chunks: 4 ms on the fake clock
    fakeClock();
    const { turns, text } = await turnsDuring(() => registry.expose('openmetrics'));
    expect(turns).toBe(0);
    expect(counts(text)).toBe(1_000);
  });

  it('yields every 1 ms in a larger registry', async () => {
    const registry = histograms(2_001 + 63); // 33 chunks
    fakeClock();
    const { turns, text } = await turnsDuring(() => registry.expose('prometheus'));
    expect(turns).toBeGreaterThanOrEqual(33 / 4 - 1);
    expect(counts(text)).toBe(2_064);
  });

  it("keeps the caller's slice for a small registry", async () => {
    const registry = histograms(1_000);
    const { turns } = await turnsDuring(() => registry.expose('prometheus', 0)); // yield after every chunk of 64 series
    expect(turns).toBeGreaterThanOrEqual(1_000 / 64 - 1);
  });
});
