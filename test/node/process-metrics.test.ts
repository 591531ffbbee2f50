import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry as PromRegistry, collectDefaultMetrics as promDefaults } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { family, series } from '../support/read.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict, promtoolCheck } from '../support/validators.js';

const typeNames = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));

describe('collectDefaultMetrics()', () => {
  const open: { shutdown(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const m of open.splice(0)) await m.shutdown();
  });

  it("exposes every metric name prom-client's defaults expose", async () => {
    const prom = new PromRegistry();
    promDefaults({ register: prom });
    const expected = typeNames(await prom.metrics());
    const metrics = createMetrics();
    open.push(metrics);
    metrics.collectDefaultMetrics();
    const ours = typeNames(await metrics.registry.expose('prometheus'));
    const missing = [...expected].filter((n) => !ours.has(n));
    expect(missing).toEqual([]);
    expect(ours.has('nodejs_eventloop_utilization_ratio')).toBe(true);
  });

  it('reports plausible values: CPU advances, memory and handles are positive', async () => {
    const metrics = createMetrics();
    open.push(metrics);
    metrics.collectDefaultMetrics();
    await metrics.registry.collect();
    const until = performance.now() + 30;
    while (performance.now() < until); // burn CPU
    const cpu = (await series(metrics, 'process_cpu_seconds')).value!;
    expect(cpu).toBeGreaterThan(0);
    expect((await series(metrics, 'process_resident_memory_bytes')).value).toBeGreaterThan(1e6);
    expect((await series(metrics, 'nodejs_heap_size_used_bytes')).value).toBeGreaterThan(0);
    const elu = (await series(metrics, 'nodejs_eventloop_utilization_ratio')).value!;
    expect(elu).toBeGreaterThanOrEqual(0);
    expect(elu).toBeLessThanOrEqual(1);
    const start = (await series(metrics, 'process_start_time_seconds')).value!;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
  });

  it('observes garbage collections by kind', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const metrics = createMetrics();
    open.push(metrics);
    metrics.collectDefaultMetrics();
    gc();
    let count = 0;
    for (let i = 0; i < 100 && count === 0; i++) {
      await new Promise((r) => setTimeout(r, 20)); // GC entries arrive asynchronously
      count = (await family(metrics, 'nodejs_gc_duration_seconds')).series.reduce((n, s) => n + (s.count ?? 0), 0);
    }
    expect(count).toBeGreaterThan(0);
  });

  it('stops its observers and hooks on shutdown', async () => {
    const metrics = createMetrics();
    const handle = metrics.collectDefaultMetrics();
    await metrics.shutdown();
    expect(() => handle.stop()).not.toThrow();
  });
});

describeWithTools(['promtool', 'python3-prometheus-client'], 'default metrics exposition', () => {
  it('passes promtool and the strict OpenMetrics parser', async () => {
    const metrics = createMetrics();
    metrics.collectDefaultMetrics();
    const text = await metrics.registry.expose('prometheus');
    const check = promtoolCheck(text);
    // Exit 3 is lint only. The one finding allowed: prom-client's "_total"
    // gauge names, kept on purpose so existing dashboards keep working.
    const findings = check.output.split('\n').filter(Boolean);
    const compat = /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
    expect(findings.filter((f) => !compat.test(f))).toEqual([]);
    expect([0, 3]).toContain(check.status);
    const families = parseStrict(await metrics.registry.expose('openmetrics'));
    expect(families.find((f) => f.name === 'process_cpu_seconds')!.type).toBe('counter');
    await metrics.shutdown();
  });
});
