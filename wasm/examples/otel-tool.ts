// A component that speaks wasi:otel instead of omnimeter's recorder: it keeps
// OpenTelemetry-shaped aggregates in its own memory and exports them through
// `wasi:otel/metrics.export` (wasi:otel@0.2.0-rc.2), the way an OpenTelemetry
// SDK's periodic reader would. Cumulative sums and histograms, a delta sum
// and a gauge: every mapping the host makes (src/host/wasi-otel.ts).
// @ts-expect-error resolved by componentize-js at build time
import { export as exportMetrics } from 'wasi:otel/metrics@0.2.0-rc.2';

const BOUNDS = [64, 256, 1024, 4096];
const requests = new Map<string, number>();
const buckets = new Array<number>(BOUNDS.length + 1).fill(0);
let sizeSum = 0;
let sizeCount = 0;
let lastSize = 0;
let flushes = 0;
let seen = 0;

export function handle(route: string, size: number): number {
  requests.set(route, (requests.get(route) ?? 0) + 1);
  let i = 0;
  while (i < BOUNDS.length && size > BOUNDS[i]!) i++;
  buckets[i]!++;
  sizeSum += size;
  sizeCount++;
  lastSize = size;
  return ++seen;
}

const attribute = (key: string, value: unknown) => ({ key, value: JSON.stringify(value) });
const u64 = (n: number) => ({ tag: 'u64', val: BigInt(n) });
const f64 = (n: number) => ({ tag: 'f64', val: n });

/**
 * Exports everything recorded so far; the delta sum counts the exports
 * themselves. The WIT's result: returning is `ok`, throwing a string is
 * `err` (the host's error, passed on).
 */
export function flush(): void {
  flushes++;
  const time = { seconds: BigInt(flushes), nanoseconds: 0 };
  const start = { seconds: 0n, nanoseconds: 0 };
  const metrics = [
    {
      name: 'otel_tool.requests',
      description: 'Requests handled, by route.',
      unit: '{request}',
      data: {
        tag: 'u64-sum',
        val: {
          dataPoints: [...requests].map(([route, n]) => ({
            attributes: [attribute('http.route', route)],
            value: u64(n),
            exemplars: [],
          })),
          startTime: start,
          time,
          temporality: 'cumulative',
          isMonotonic: true,
        },
      },
    },
    {
      name: 'otel_tool.payload.size',
      description: 'Request payload sizes.',
      unit: 'By',
      data: {
        tag: 'f64-histogram',
        val: {
          dataPoints: [
            {
              attributes: [],
              count: BigInt(sizeCount),
              bounds: new Float64Array(BOUNDS),
              bucketCounts: new BigUint64Array(buckets.map(BigInt)),
              min: undefined,
              max: undefined,
              sum: f64(sizeSum),
              exemplars: [],
            },
          ],
          startTime: start,
          time,
          temporality: 'cumulative',
        },
      },
    },
    {
      name: 'otel_tool.payload.last',
      description: 'Size of the last payload.',
      unit: 'By',
      data: {
        tag: 'f64-gauge',
        val: { dataPoints: [{ attributes: [], value: f64(lastSize), exemplars: [] }], startTime: undefined, time },
      },
    },
    {
      name: 'otel_tool.exports',
      description: 'Exports made (one per flush, delta temporality).',
      unit: '{export}',
      data: {
        tag: 's64-sum',
        val: {
          dataPoints: [{ attributes: [attribute('attempt', 1)], value: { tag: 's64', val: 1n }, exemplars: [] }],
          startTime: time,
          time,
          temporality: 'delta',
          isMonotonic: true,
        },
      },
    },
  ];
  const request = {
    resource: { attributes: [attribute('service.name', 'otel-tool')], schemaUrl: undefined },
    scopeMetrics: [{ scope: { name: 'otel-tool', version: '0.1.0', schemaUrl: undefined, attributes: [] }, metrics }],
  };
  try {
    exportMetrics(request);
  } catch (error) {
    // componentize-js throws an import's `err` as an Error carrying it in `payload`.
    throw (error as { payload?: unknown }).payload ?? String(error);
  }
}
