/**
 * The sets as operators see them: every metric of every set recorded once,
 * exposed, and read by the strict OpenMetrics parser and promtool; the
 * Prometheus names, types and units they report are the ones the tables of
 * docs/metric-sets.md give. The component-runtime helpers' numbers against a
 * scripted clock. (That it bundles for a page with no Node module: test/layout.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Metrics } from '../../src/api/metrics.js';
import { METRIC_SETS, type SetMetric, componentRuntimeMetrics } from '../../src/sets/index.js';
import { counterOf, gaugeOf, histogramOf } from '../../src/sets/instruments.js';
import { describeWithTools } from '../support/tools.js';
import { promtoolCheck } from '../support/validators.js';
import { fresh, read, scriptedClock } from './support.js';

const ROOT = new URL('../..', import.meta.url).pathname;

let metrics = fresh();
afterEach(async () => {
  await metrics.shutdown();
  metrics = fresh();
});

function recordOnce(m: Metrics, spec: SetMetric) {
  const labels = Object.fromEntries(spec.attributes.map((a) => [a, 'x']));
  if (spec.kind === 'counter') counterOf(m, spec).inc(labels);
  else if (spec.kind === 'gauge') gaugeOf(m, spec).set(labels, 1);
  else histogramOf(m, spec).observe(labels, 1);
}

/** The tables of docs/metric-sets.md: `| \`otel\` | \`prom\` | kind | \`unit\` | \`a\`, \`b\` | meaning |`. */
function documentedRows() {
  const doc = readFileSync(join(ROOT, 'docs', 'metric-sets.md'), 'utf8');
  return [...doc.matchAll(/^\| `([a-z.]+)` \| `([a-z_]+)` \| (\w+) \| `([^`]+)` \| ([^|]+) \|/gm)].map((m) => ({
    name: m[1]!,
    prometheus: m[2]!,
    kind: m[3]!,
    unit: m[4]!,
    attributes: [...m[5]!.matchAll(/`([^`]+)`/g)].map((a) => a[1]!),
  }));
}

describeWithTools(['python3-prometheus-client', 'promtool'], 'metric sets in Prometheus', () => {
  it('every metric of every set is exposed under the name, type, unit and labels docs/metric-sets.md gives', async () => {
    const specs = Object.values(METRIC_SETS).flatMap((set) => Object.values(set) as SetMetric[]);
    for (const spec of specs) recordOnce(metrics, spec);
    const { families } = await read(metrics);
    const rows = documentedRows();
    expect(rows.map((r) => r.name)).toEqual(specs.map((s) => s.name));
    for (const [i, spec] of specs.entries()) {
      const row = rows[i]!;
      const family = families.find((f) => f.name === row.prometheus.replace(/_total$/, ''));
      expect(family, `${spec.name} → ${row.prometheus}`).toBeDefined();
      expect([row.kind, row.unit, row.attributes]).toEqual([spec.kind, spec.unit, spec.attributes]);
      expect(family!.type).toBe(spec.kind);
      const sampleNames = family!.samples.map((s) => s.name);
      expect(sampleNames).toContain(spec.kind === 'histogram' ? `${row.prometheus}_count` : row.prometheus);
      const labels = Object.keys(family!.samples[0]!.labels).filter((l) => l !== 'le');
      expect(labels.sort()).toEqual(spec.attributes.map((a) => a.replaceAll('.', '_')).sort());
    }
    const check = promtoolCheck(await metrics.registry.expose('prometheus'));
    expect(check.status, check.output).toBe(0);
  });
});

describeWithTools(['python3-prometheus-client'], 'component-runtime set', () => {
  it('records loads, unloads, memory, CPU, calls by outcome, allocations and cleanup', async () => {
    const t = scriptedClock();
    const runtime = componentRuntimeMetrics({ metrics, clock: t.clock });
    runtime.load('cpu-tool', () => t.advance(0.02));
    await runtime.load('json-tool', async () => t.advance(0.03));
    runtime.memory('cpu-tool', 65536);
    runtime.memory('cpu-tool', 131072);
    runtime.cpu('cpu-tool', 0.25);
    runtime.cpu('cpu-tool', 0.5);
    runtime.call('host', 'cpu-tool', () => t.advance(0.004));
    expect(() =>
      runtime.call('host', 'cpu-tool', () => {
        t.advance(0.001);
        throw new Error('trap');
      }),
    ).toThrow('trap');
    runtime.allocated('cpu-tool', 'buffer', 3);
    runtime.cleanedUp('cpu-tool', 'buffer', 0.0002);
    runtime.unloaded('cpu-tool', 0.001);
    const r = await read(metrics);
    const cpu = { component_name: 'cpu-tool' };
    expect(r.value('component_load_duration_seconds_sum', cpu)).toBeCloseTo(0.02, 9);
    expect(r.value('component_load_duration_seconds_sum', { component_name: 'json-tool' })).toBeCloseTo(0.03, 9);
    expect(r.value('component_memory_used_bytes', cpu)).toBe(131072);
    expect(r.value('component_cpu_time_seconds_total', cpu)).toBe(0.75);
    const call = { component_name: 'host', component_target: 'cpu-tool' };
    expect(r.value('component_call_duration_seconds_sum', { ...call, outcome: 'success' })).toBeCloseTo(0.004, 9);
    expect(r.value('component_call_duration_seconds_count', { ...call, outcome: 'error' })).toBe(1);
    expect(r.value('component_resource_allocations_total', { ...cpu, resource_type: 'buffer' })).toBe(3);
    expect(r.value('component_resource_cleanup_duration_seconds_count', { ...cpu, resource_type: 'buffer' })).toBe(1);
    expect(r.value('component_unload_duration_seconds_count', cpu)).toBe(1);
  });
});
