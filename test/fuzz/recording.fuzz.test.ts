/**
 * Fuzzing the recording API (issue 10): random registrations and recordings
 * with values, labels and options of any type, strict and lenient. Strict
 * mode throws only MetricsErrors; lenient recording never throws; after
 * every case the exposition parses with the strict OpenMetrics parser (and
 * every tenth with the 0.0.4 one); no promise rejects unhandled; the process
 * stays inside a stated memory bound.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MetricsError, createMetrics } from '../../src/index.js';
import { IN_CI, describeWithTools } from '../support/tools.js';
import { BatchParser, fuzzRuns, watchRejections } from './batch-parser.js';

const RSS_BOUND = 1024 * 1024 * 1024;
const KINDS = ['counter', 'gauge', 'histogram', 'summary', 'timer'] as const;
const LABELS = ['tool', 'status', 'le', 'quantile', 'gen_ai.tool.name', '__x', 'a b'];

const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostile });
const anything = fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, maxDepth: 2 });
const value = mostly(
  fc.oneof(fc.double(), fc.integer()),
  fc.oneof(anything, fc.constantFrom('5', '1', 5n, true, null, undefined, [3], Symbol('v'))),
);
const labelValue = mostly(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.integer(), fc.boolean()), anything);
const labels = mostly(
  fc.dictionary(fc.constantFrom(...LABELS), labelValue, { maxKeys: 3 }),
  fc.oneof(
    anything,
    fc.nat(2000).map((n) => ({ tool: 'x'.repeat(1000 + n) })),
  ),
);
const name = mostly(
  fc.constantFrom('jobs_total', 'jobs', 'latency_seconds', 'mcp.server.operation.duration', 'temp', 'x', 'x_bucket'),
  fc.oneof(anything, fc.string()),
);
const options = fc.record(
  {
    help: mostly(fc.constantFrom('help', 'a "quoted" \\ help\nline', ''), anything),
    labelNames: mostly(fc.uniqueArray(fc.constantFrom(...LABELS), { maxLength: 3 }), anything),
    unit: mostly(fc.constantFrom('seconds', 's', 'By', '1'), anything),
    buckets: mostly(fc.uniqueArray(fc.double({ noNaN: true }), { maxLength: 8 }), anything),
    quantiles: mostly(fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }), anything),
    maxAgeSeconds: mostly(fc.double({ min: 0.001, max: 1e6, noNaN: true }), anything),
    ageBuckets: mostly(fc.integer({ min: 1, max: 10 }), anything),
    sampleRate: mostly(fc.constantFrom(1, 0.5), anything),
    type: mostly(fc.constantFrom('histogram', 'summary'), anything),
  },
  { requiredKeys: ['help'] },
);
const METHODS = [
  'inc',
  'set',
  'dec',
  'observe',
  'labels.inc',
  'labels.set',
  'labels.observe',
  'timer.observe',
  'remove',
  'reset',
  'start',
] as const;
const op = fc.oneof(
  fc.record({ kind: fc.constant('register' as const), type: fc.constantFrom(...KINDS), name, options }),
  fc.record({
    kind: fc.constant('record' as const),
    target: fc.nat(20),
    method: fc.constantFrom(...METHODS),
    labels,
    value,
    unlabelled: fc.boolean(),
  }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
type AnyMetric = Record<string, (...args: unknown[]) => unknown>;

/** Runs one op; returns what it threw, if anything. */
function run(registered: AnyMetric[], m: ReturnType<typeof createMetrics>, o: Op): unknown {
  try {
    if (o.kind === 'register') {
      registered.push((m[o.type] as unknown as (n: unknown, opts: unknown) => AnyMetric)(o.name, o.options));
      return undefined;
    }
    const metric = registered[o.target % Math.max(1, registered.length)];
    if (!metric) return undefined;
    const args = o.unlabelled ? [o.value] : [o.labels, o.value];
    const [method, sub] = o.method.split('.') as [string, string | undefined];
    if (method === 'labels' && typeof metric.labels === 'function') {
      const handle = metric.labels(o.labels) as AnyMetric;
      if (typeof handle[sub!] === 'function') handle[sub!]!(o.value);
    } else if (method === 'start' && typeof metric.start === 'function') (metric.start(o.labels) as (l?: unknown) => number)();
    else if (method === 'timer' && typeof metric.observe === 'function') metric.observe(...args);
    else if (typeof metric[method] === 'function') metric[method]!(...args);
    return undefined;
  } catch (error) {
    return error;
  }
}

describeWithTools(['python3-prometheus-client'], 'fuzzing the recording API', () => {
  it(`throws only MetricsErrors (strict), never on recording (lenient), and always exposes valid text (${fuzzRuns(IN_CI)} cases)`, async () => {
    const parser = new BatchParser();
    const watch = watchRejections();
    let maxRss = 0;
    let cases = 0;
    let recorded = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(op, { minLength: 1, maxLength: 24 }), async (lenient, ops) => {
          const m = createMetrics({ mode: lenient ? 'lenient' : 'strict', defaultLabels: { service: 'fuzz' } });
          const registered: AnyMetric[] = [];
          for (const o of ops) {
            const error = run(registered, m, o);
            if (error === undefined) {
              if (o.kind === 'record') recorded++;
              continue;
            }
            expect(error, `${o.kind} ${String((o as { method?: string }).method ?? '')}: ${String(error)}`).toBeInstanceOf(MetricsError);
            // Lenient mode drops bad values and label sets; registration and remove() may still throw.
            if (lenient && o.kind === 'record') expect(o.method).toBe('remove');
          }
          const om = await m.registry.expose('openmetrics');
          const input = () =>
            JSON.stringify({ lenient, ops }, (_, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'symbol' ? String(v) : v));
          parser.add('openmetrics', om, input);
          if (++cases % 10 === 0) parser.add('prometheus', await m.registry.expose('prometheus'), input);
          if (cases % 250 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
          await m.shutdown();
        }),
        { numRuns: fuzzRuns(IN_CI) },
      );
      parser.flush();
    } finally {
      watch.stop();
    }
    expect(watch.rejections).toEqual([]);
    expect(parser.checked).toBeGreaterThanOrEqual(fuzzRuns(IN_CI));
    expect(recorded).toBeGreaterThan(fuzzRuns(IN_CI)); // most cases record something
    expect(maxRss).toBeLessThan(RSS_BOUND);
  }, 600_000);
});
