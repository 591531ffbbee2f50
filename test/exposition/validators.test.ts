/**
 * Exposition judged by parsers nobody here wrote: the strict OpenMetrics
 * parser and text parser of Debian's python3-prometheus-client, and promtool.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ExpositionFormat } from '../../src/api/metrics.js';
import type { Registry } from '../../src/core/registry.js';
import { createMetrics } from '../../src/index.js';
import { canonicalFloat, escapeHelp } from '../../src/exposition/text.js';
import { describeWithTools, PYTHON } from '../support/tools.js';
import { parseStrict, promtoolCheck, pythonParse } from '../support/validators.js';

/** Python's str.strip(): the whitespace the 0.0.4 text parser removes around HELP. */
function pythonStrip(text: string): string {
  const ws = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
  return text.replace(new RegExp(`^${ws}+|${ws}+$`, 'g'), '');
}

/** What a 0.0.4 parser reads back: the raw (escaped) line is stripped, then unescaped. */
function textFormatHelp(help: string): string {
  return pythonStrip(escapeHelp(help, 'prometheus')).replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** A registry with every metric type, escapes in help and labels, units, empty summaries. */
async function sampleRegistry() {
  const m = createMetrics({ prefix: 'app_', defaultLabels: { service: 'demo "quoted"' } });
  const calls = m.counter('tool_calls_total', {
    help: 'Tool calls with "quotes" and \\ backslash\nand newline',
    labelNames: ['tool', 'status'] as const,
  });
  calls.inc({ tool: 'sea"rch\\path\nnext', status: 'ok' }, 3);
  calls.inc({ tool: 'ünïcødé ✓ 🚀', status: 'error' });
  m.gauge('memory_bytes', { help: 'Memory', unit: 'bytes' }).set(1024.5);
  m.gauge('temperature', { help: 'Temp' }).set(-3);
  const size = m.histogram('request_size_bytes', {
    help: 'Sizes',
    buckets: [64, 256, 1024, 1e6],
    unit: 'bytes',
    labelNames: ['route'] as const,
  });
  for (const v of [10, 100, 300, 2000, 2e6]) size.observe({ route: '/a' }, v);
  m.summary('latency_seconds', { help: 'Latency', quantiles: [0.5, 0.9, 0.99], unit: 'seconds' }).observe(0.25);
  m.summary('idle_seconds', { help: 'Nothing yet', quantiles: [0.5] });
  m.histogram('delta', { help: 'Signed', buckets: [-1, 0, 1] }).observe(-5);
  await m.shutdown();
  return m;
}

/**
 * A registry scraped twice, then recorded into for every third series: its
 * next scrape serves the other series from the text kept at the last one
 * (exposition/text-cache.ts) and renders the changed ones anew.
 */
async function keptTextRegistry(format: 'openmetrics' | 'prometheus') {
  const m = createMetrics({ defaultLabels: { env: 'q"a' } });
  const c = m.counter('kept_total', { help: 'Kept', labelNames: ['i'] as const });
  const h = m.histogram('kept_seconds', { help: 'Kept', labelNames: ['i'] as const, buckets: [0.1, 1] });
  for (let i = 0; i < 100; i++) {
    c.inc({ i: String(i) }, i);
    h.observe({ i: String(i) }, i / 50);
  }
  await m.registry.expose(format);
  await m.registry.expose(format);
  for (let i = 0; i < 100; i += 3) {
    c.inc({ i: String(i) });
    h.observe({ i: String(i) }, 5);
  }
  return m;
}

describeWithTools(['python3-prometheus-client'], 'exposition, by the Python client parsers', () => {
  it('passes the strict OpenMetrics parser with the values, labels and metadata we recorded', async () => {
    const m = await sampleRegistry();
    const families = parseStrict(await m.registry.expose('openmetrics'));
    const byName = new Map(families.map((f) => [f.name, f]));

    const calls = byName.get('app_tool_calls')!;
    expect(calls.type).toBe('counter');
    expect(calls.help).toBe('Tool calls with "quotes" and \\ backslash\nand newline');
    const ok = calls.samples.find((s) => s.name === 'app_tool_calls_total' && s.labels.status === 'ok')!;
    expect(ok.labels).toEqual({ service: 'demo "quoted"', tool: 'sea"rch\\path\nnext', status: 'ok' });
    expect(ok.value).toBe(3);
    expect(calls.samples.filter((s) => s.name === 'app_tool_calls_created')).toHaveLength(2);
    expect(calls.samples.some((s) => s.labels.tool === 'ünïcødé ✓ 🚀')).toBe(true);

    expect(byName.get('app_memory_bytes')!.unit).toBe('bytes');
    expect(byName.get('app_memory_bytes')!.samples[0]!.value).toBe(1024.5);

    const size = byName.get('app_request_size_bytes')!;
    const buckets = size.samples.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets.map((s) => s.labels.le)).toEqual(['64.0', '256.0', '1024.0', '1e+06', '+Inf']);
    expect(buckets.map((s) => s.value)).toEqual([1, 2, 3, 4, 5]);

    const idle = byName.get('app_idle_seconds')!;
    expect(idle.samples.find((s) => s.labels.quantile === '0.5')!.value).toBeNaN();
    expect(idle.samples.find((s) => s.name === 'app_idle_seconds_count')!.value).toBe(0);

    // Negative buckets: OpenMetrics forbids _sum there, and _count goes with it.
    const delta = byName.get('app_delta')!;
    expect(delta.samples.some((s) => s.name === 'app_delta_sum' || s.name === 'app_delta_count')).toBe(false);
    expect(delta.samples.filter((s) => s.name === 'app_delta_bucket')).toHaveLength(4);
  });

  it('passes the strict parser for a large registry read and rendered a slice at a time, recorded into meanwhile', async () => {
    const m = createMetrics({ maxSeriesPerMetric: 100_000 });
    const calls = m.counter('calls_total', { help: 'Calls', labelNames: ['route', 'user'] as const });
    const sizes = m.histogram('size_bytes', { help: 'Sizes', labelNames: ['route'] as const, buckets: [10, 100, 1000] });
    const lat = m.summary('lat_seconds', { help: 'Latency', labelNames: ['route'] as const, quantiles: [0.5, 0.99] });
    for (let i = 0; i < 10_000; i++) calls.inc({ route: `/r/${i % 300}`, user: `u${Math.floor(i / 300)}` }, (i % 7) + 1);
    for (let i = 0; i < 2_000; i++) sizes.observe({ route: `/r/${i}` }, i);
    for (let i = 0; i < 500; i++) lat.observe({ route: `/r/${i}` }, i / 100);

    const chunks: string[] = [];
    // A slice of 0 ms: yield after every chunk of series, as a slow machine would.
    const registry = m.registry as Registry;
    for await (const chunk of registry.exposeChunks('openmetrics', 0)) {
      chunks.push(chunk);
      // Families are read when their turn comes, not copied up front: this lands in this scrape.
      if (chunks.length === 1) sizes.observe({ route: '/r/1999' }, 5);
      // Recording between chunks: new series land once (or in the next scrape), old ones keep counting.
      calls.inc({ route: '/late', user: `late${chunks.length}` });
      calls.inc({ route: '/r/0', user: 'u0' }, 0);
    }
    expect(chunks.length).toBeGreaterThan(40);
    const families = parseStrict(chunks.join(''));
    const byName = new Map(families.map((f) => [f.name, f]));
    const totals = byName.get('calls')!.samples.filter((s) => s.name === 'calls_total');
    expect(totals.filter((s) => s.labels.route !== '/late')).toHaveLength(10_000);
    expect(totals.find((s) => s.labels.route === '/r/99' && s.labels.user === 'u33')!.value).toBe((9_999 % 7) + 1);
    expect(new Set(totals.map((s) => `${s.labels.route} ${s.labels.user}`)).size).toBe(totals.length);
    const buckets = byName.get('size_bytes')!.samples.filter((s) => s.name === 'size_bytes_bucket' && s.labels.route === '/r/500');
    expect(buckets.map((s) => [s.labels.le, s.value])).toEqual([
      ['10.0', 0],
      ['100.0', 0],
      ['1000.0', 1],
      ['+Inf', 1],
    ]);
    const late = byName.get('size_bytes')!.samples.find((s) => s.name === 'size_bytes_count' && s.labels.route === '/r/1999')!;
    expect(late.value).toBe(2);
    const median = byName.get('lat_seconds')!.samples.find((s) => s.labels.route === '/r/250' && s.labels.quantile === '0.5')!;
    expect(median.value).toBeCloseTo(2.5, 1);
    await m.shutdown();
  }, 60_000);

  it('passes the strict parser on a scrape served partly from the text kept at the previous one', async () => {
    const m = await keptTextRegistry('openmetrics');
    const families = parseStrict(await m.registry.expose('openmetrics'));
    const byName = new Map(families.map((f) => [f.name, f]));
    const value = (family: string, sample: string, i: string, le?: string) =>
      byName.get(family)!.samples.find((s) => s.name === sample && s.labels.i === i && s.labels.le === le)!.value;
    expect(value('kept', 'kept_total', '3')).toBe(4); // changed
    expect(value('kept', 'kept_total', '4')).toBe(4); // kept text
    expect(value('kept_seconds', 'kept_seconds_count', '3')).toBe(2);
    expect(value('kept_seconds', 'kept_seconds_bucket', '3', '+Inf')).toBe(2);
    expect(value('kept_seconds', 'kept_seconds_bucket', '4', '1.0')).toBe(1);
    expect(value('kept_seconds', 'kept_seconds_count', '4')).toBe(1);
    expect(byName.get('kept')!.samples.filter((s) => s.name === 'kept_total')).toHaveLength(100);
  });

  it('passes the 0.0.4 text parser with the same content', async () => {
    const m = await sampleRegistry();
    const families = parseStrict(await m.registry.expose('prometheus'), 'prometheus');
    const calls = families.find((f) => f.name === 'app_tool_calls')!;
    expect(calls.samples.find((s) => s.labels.status === 'ok')!.value).toBe(3);
    expect(families.find((f) => f.name === 'app_delta')!.samples.find((s) => s.name === 'app_delta_sum')!.value).toBe(-5);
  });

  it('round-trips arbitrary unicode, quotes, backslashes and newlines in label values and help', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const cases = fc.sample(
      fc.record({
        values: fc.array(fc.tuple(text, fc.nat({ max: 1e9 })), { minLength: 1, maxLength: 5 }),
        help: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
        gauge: fc.double({ noNaN: true, min: -1e300, max: 1e300 }),
      }),
      { numRuns: 150, seed: 7 },
    );
    const bodies: { format: ExpositionFormat; text: string }[] = [];
    for (const c of cases) {
      const m = createMetrics();
      const counter = m.counter('rt_total', { help: c.help, labelNames: ['v'] as const });
      for (const [v, n] of c.values) counter.inc({ v }, n);
      m.gauge('rt_gauge', { help: c.help }).set(c.gauge);
      for (const format of ['openmetrics', 'prometheus'] as const) bodies.push({ format, text: await m.registry.expose(format) });
    }
    const results = pythonParse(bodies);
    results.forEach((result, i) => {
      const c = cases[Math.floor(i / 2)]!;
      expect(result.error, `${bodies[i]!.format} body ${i} rejected`).toBeUndefined();
      const counter = result.families!.find((f) => f.name === 'rt' || f.name === 'rt_total')!;
      // OpenMetrics keeps HELP exactly; the 0.0.4 text format cannot carry
      // leading or trailing whitespace in HELP (its parser strips it).
      expect(counter.help).toBe(bodies[i]!.format === 'openmetrics' ? c.help : textFormatHelp(c.help));
      const expected = new Map<string, number>();
      for (const [v, n] of c.values) expected.set(v, (expected.get(v) ?? 0) + n);
      const totals = counter.samples.filter((s) => s.name === 'rt_total');
      expect(new Map(totals.map((s) => [s.labels.v!, s.value]))).toEqual(expected);
      const gauge = result.families!.find((f) => f.name === 'rt_gauge')!;
      expect(gauge.samples[0]!.value).toBe(c.gauge + 0); // -0 is written and read as 0
    });
  });

  it('writes le and quantile values exactly as the Python and Go clients do', () => {
    const values = fc.sample(
      fc.oneof(
        fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
        fc.integer({ min: 1, max: 999_999 }),
        fc.constantFrom(0.5, 1, 2.5, 10, 1e6, 1e-5),
      ),
      { numRuns: 500, seed: 3 },
    );
    const script =
      'import json,sys\nfrom prometheus_client.utils import floatToGoString\nprint(json.dumps([floatToGoString(x) for x in json.load(sys.stdin)]))';
    const run = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(values), encoding: 'utf8' });
    const reference = JSON.parse(run.stdout) as string[];
    // Python writes exponents of 10 and above as e+010 where Go writes e+10; compare below that.
    values.forEach((v, i) => {
      if (v < 1e10) expect(canonicalFloat(v), `value ${v}`).toBe(reference[i]);
    });
  });

  it('is rejected by the strict parser when broken, so the checks above have teeth', () => {
    const [missingEof, interleaved] = pythonParse([
      { format: 'openmetrics', text: '# TYPE a gauge\na 1\n' },
      { format: 'openmetrics', text: '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n# EOF\n' },
    ]);
    expect(missingEof!.error).toMatch(/EOF/);
    expect(interleaved!.error).toBeDefined();
  });
});

describeWithTools(['promtool'], 'exposition, by promtool', () => {
  it('passes `promtool check metrics` without errors or lint findings', async () => {
    const m = await sampleRegistry();
    const result = promtoolCheck(await m.registry.expose('prometheus'));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('passes promtool for random label values and help texts', async () => {
    const cases = fc.sample(
      fc.record({ label: fc.string({ unit: 'binary', maxLength: 30 }), help: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) }),
      { numRuns: 40, seed: 11 },
    );
    for (const c of cases) {
      const m = createMetrics();
      m.counter('prop_total', { help: c.help, labelNames: ['l'] as const }).inc({ l: c.label });
      m.histogram('prop_seconds', { help: c.help, labelNames: ['l'] as const, unit: 'seconds' }).observe({ l: c.label }, 0.3);
      const result = promtoolCheck(await m.registry.expose('prometheus'));
      expect(result.status, `${JSON.stringify(c)}: ${result.output}`).toBe(0);
    }
  });

  it('passes promtool on a scrape served partly from the text kept at the previous one', async () => {
    const m = await keptTextRegistry('prometheus');
    const result = promtoolCheck(await m.registry.expose('prometheus'));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails promtool on a broken body, so the check has teeth', () => {
    expect(promtoolCheck('# TYPE a counter\na{x="1} 1\n').status).toBe(1);
  });
});
