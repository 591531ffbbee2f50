/**
 * Fuzzing /ingest bodies (issue 10): arbitrary, malformed and adversarial
 * pushes from a few sources into a collector with small limits. After every
 * case the collector's exposition parses with the strict OpenMetrics
 * parser, stays inside its byte budget, every answer is a bounded, known
 * status, nothing throws and no promise rejects unhandled; the process stays
 * inside a stated memory bound over the whole run.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { IngestAggregator } from '../../src/host/ingest.js';
import { IngestGate } from '../../src/ingest/gate.js';
import { createMetrics } from '../../src/index.js';
import { IN_CI, describeWithTools } from '../support/tools.js';
import { BatchParser, fuzzRuns, watchRejections } from './batch-parser.js';

const LIMITS = {
  maxSeriesPerSource: 24,
  maxMetricsPerSource: 8,
  maxBucketsPerHistogram: 40,
  maxExpositionBytesPerSource: 24 * 1024,
  maxExpositionBytes: 48 * 1024,
  sourcePushesPerSecond: 1e6,
  pushesPerSecond: 1e6,
};
/** What the collector's own series (refusal counters, gauges) may add beside the budget. */
const OWN_LINES_SLACK = 32 * 1024;
/** RSS the whole run must stay under (stated in docs/security.md). */
const RSS_BOUND = 1024 * 1024 * 1024;

/** Mostly valid choices, sometimes hostile ones: refusals then come from limits and edges, not only from the schema. */
const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostile });
const weirdText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('', ' ', '\\', '"', '\n', '\ud800', 'é', '{', '}', '=', ',', '#', 'le', 'quantile', 'source', 'service', '__x'),
  fc.nat(1100).map((n) => 'v'.repeat(200 + n)), // around and past the length limits
);
const name = mostly(
  fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/)),
  fc.oneof(
    fc.constantFrom('omnimeter_ingest_rejected', 'omnimeter_exporter_exports', 'x_total', 'x_bucket', 'a.b', 'a_b', 'le'),
    weirdText,
  ),
);
const number = mostly(
  fc.oneof(fc.nat(1000), fc.double({ min: 0, max: 1e6, noNaN: true })),
  fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-1, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 1)),
);
const labelName = mostly(
  fc.constantFrom('tool', 'status', 'route', 'gen_ai.tool.name', 'k'),
  fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_.]{0,6}$/), weirdText),
);
const labels = fc.dictionary(labelName, mostly(fc.constantFrom('a', 'b', 'search', 'é', 'x"y', 'a\\b', 'l\nm'), weirdText), { maxKeys: 3 });
const buckets = mostly(
  fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 10 }).map((a) => a.sort((x, y) => x - y)),
  fc.oneof(
    fc.array(number, { maxLength: 50 }),
    fc.nat(300).map((n) => Array.from({ length: 30 + n }, (_, i) => i)),
  ),
);
const series = (bucketCount: number) =>
  fc.record(
    {
      labels,
      value: number,
      count: number,
      sum: number,
      bucketCounts: mostly(
        fc.array(fc.nat(100), { minLength: bucketCount + 1, maxLength: bucketCount + 1 }),
        fc.array(number, { maxLength: 60 }),
      ),
      quantileValues: fc.array(fc.oneof(number, fc.constant(null)), { maxLength: 4 }),
      createdMs: number,
    },
    { requiredKeys: ['labels'] },
  );
const family = fc.tuple(buckets, fc.constantFrom('counter', 'gauge', 'histogram', 'summary')).chain(([b, type]) =>
  fc.record(
    {
      name,
      type: mostly(fc.constant(type), weirdText),
      help: mostly(fc.constantFrom('', 'Help text.', 'a "quoted" \\ help\nline'), weirdText),
      unit: mostly(fc.constantFrom('', 's', 'By', '1', '{request}'), weirdText),
      buckets: fc.constant(b),
      quantiles: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
      series: fc.array(series(b.length), { maxLength: 12 }),
    },
    { requiredKeys: ['name', 'type', 'help', 'unit', 'series'] },
  ),
);
const snapshot = fc.record({
  format: mostly(fc.constant('omnimeter-snapshot'), fc.constant('other')),
  version: mostly(fc.constant(1), fc.constant(2)),
  timestamp: fc.constant('2026-01-01T00:00:00.000Z'),
  timeMs: fc.oneof(fc.constant(1_700_000_000_000), number),
  metrics: fc.array(family, { maxLength: 6 }),
});

/** A body: a snapshot as sent, a mangled one, or anything at all. */
const body = fc.oneof(
  { weight: 6, arbitrary: snapshot.map((s) => JSON.stringify(s)) },
  {
    weight: 2,
    arbitrary: fc.tuple(snapshot, fc.nat(), fc.string({ maxLength: 4 })).map(([s, at, junk]) => {
      const text = JSON.stringify(s);
      const i = at % (text.length + 1);
      return text.slice(0, i) + junk + text.slice(i);
    }),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 6 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string(),
      fc.nat(40).map((n) => '['.repeat(n) + ']'.repeat(n)),
    ),
  },
);
const push = fc.record({ source: fc.constantFrom('a', 'b', 'c', 'bad source', 'x'.repeat(65), 'd.e:f-1'), body });

function collector() {
  const metrics = createMetrics({ defaultLabels: { service: 'collector' } });
  const merger = new IngestAggregator(metrics, {
    maxSources: Infinity,
    limits: { maxMetrics: LIMITS.maxMetricsPerSource, maxSeries: LIMITS.maxSeriesPerSource },
  });
  const gate = new IngestGate({
    metrics,
    merger: { merge: (s, snap) => merger.merge(s, snap), forget: (s) => merger.forget(s) },
    reservedLabels: ['source', 'service'],
    hostLabelBytes: 'source="",'.length + 64 + 'service="collector",'.length,
    limits: LIMITS,
  });
  return { metrics, gate };
}

describeWithTools(['python3-prometheus-client'], 'fuzzing /ingest bodies', () => {
  it(`keeps the exposition valid and bounded, answers within known statuses, never throws (${fuzzRuns(IN_CI)} cases)`, async () => {
    const parser = new BatchParser();
    const watch = watchRejections();
    let maxRss = 0;
    let cases = 0;
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(push, { minLength: 1, maxLength: 4 }), async (pushes) => {
          const { metrics, gate } = collector();
          for (const p of pushes) {
            const refused = gate.begin(p.source);
            const answer = refused ?? gate.accept(p.source, p.body);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            expect([200, 204, 400, 422, 429]).toContain(answer.status);
            expect((answer.body ?? '').length).toBeLessThan(4096);
          }
          const om = await metrics.registry.expose('openmetrics');
          expect(om.length).toBeLessThan(LIMITS.maxExpositionBytes + OWN_LINES_SLACK);
          parser.add('openmetrics', om, () => JSON.stringify(pushes));
          if (++cases % 10 === 0) parser.add('prometheus', await metrics.registry.expose('prometheus'), () => JSON.stringify(pushes));
          if (cases % 250 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
          gate.close();
        }),
        { numRuns: fuzzRuns(IN_CI) },
      );
      parser.flush();
    } finally {
      watch.stop();
    }
    expect(watch.rejections).toEqual([]);
    expect(parser.checked).toBeGreaterThanOrEqual(fuzzRuns(IN_CI));
    expect(maxRss).toBeLessThan(RSS_BOUND);
    // The generators reach every kind of answer, not only refusals.
    for (const status of [204, 200, 400, 422]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  }, 600_000);
});
