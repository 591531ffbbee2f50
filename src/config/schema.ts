/**
 * The configuration schema: one zod schema is the single source of truth for
 * validation, the TypeScript types, the published JSON Schema
 * (docs/config.schema.json) and the reference (docs/configuration.md).
 * Messages are written as "expected ..." so errors read
 * `exporters[1].port: expected an integer 1-65535, got "abc"`.
 */
import * as z from 'zod';
import { LABEL_NAME, METRIC_NAME } from '../core/names.js';
import { AlertingSchema } from './alerting-schema.js';
import { HealthSchema } from './health-schema.js';

/** A web origin exactly as browsers send it in the Origin header. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return /^https?:$/.test(url.protocol) && url.origin === text;
  } catch {
    return false;
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from a number of seconds or a string such as "500ms", "10s", "1m". */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return value > 0 && Number.isFinite(value) ? value * 1000 : undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return ms > 0 ? ms : undefined;
}

const duration = (description: string) =>
  z
    .union([z.number(), z.string()], { error: 'expected a duration: seconds as a number, or a string like "500ms", "10s", "1m"' })
    .refine((v) => parseDuration(v) !== undefined, {
      error: 'expected a positive duration: seconds as a number, or "500ms", "10s", "1m", "1h"',
    })
    .meta({ description });

/** An integer in [min, max] (or >= min), with one message for every way to miss. */
const int = (min: number, max?: number) => {
  const error = max === undefined ? `expected an integer >= ${min}` : `expected an integer ${min}-${max}`;
  const atLeast = z.int({ error }).min(min, { error });
  return max === undefined ? atLeast : atLeast.max(max, { error });
};

/** Extra headers sent with each request (HTTP headers, gRPC metadata). */
const headers = (description: string) =>
  z
    .record(z.string(), z.string({ error: 'expected a string header value' }))
    .default({})
    .meta({ description });

/** OpenTelemetry resource attributes. */
const resourceAttributes = (description: string) =>
  z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }))
    .default({})
    .meta({ description });

const port = (description: string) => int(1, 65535).meta({ description });

const host = (description: string) =>
  z.string({ error: 'expected a host name or IP address' }).min(1, { error: 'expected a host name or IP address' }).meta({ description });

const rate = (description: string) =>
  z
    .number({ error: 'expected a number in (0, 1]' })
    .gt(0, { error: 'expected a number in (0, 1]' })
    .max(1, { error: 'expected a number in (0, 1]' })
    .meta({ description });

const labelMap = (description: string) =>
  z
    .record(
      z.string().regex(LABEL_NAME, { error: 'expected a label name or attribute key [a-zA-Z_][a-zA-Z0-9_./-]*' }),
      z.string({ error: 'expected a string label value' }),
    )
    .meta({ description });

const pattern = z.string({ error: 'expected a metric name pattern (* matches any run of characters)' }).min(1);

const regex = z.string({ error: 'expected a regular expression' }).refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid regular expression' },
);

/** Fields every push exporter shares. */
const pushCommon = {
  maxQueue: int(1)
    .default(10)
    .meta({ description: 'Batches queued while the receiver is failing; beyond it the oldest is dropped and counted.' }),
  retry: z
    .strictObject({
      initialBackoff: duration('Wait before the first retry.').default('500ms'),
      maxBackoff: duration('Upper bound of the doubling backoff.').default('30s'),
    })
    .default({ initialBackoff: '500ms', maxBackoff: '30s' })
    .meta({ description: 'Retry with capped exponential backoff after a failed export.' }),
};

export const PrometheusExporterSchema = z
  .strictObject({
    type: z.literal('prometheus'),
    host: host('Interface to listen on. Only loopback unless you say otherwise.').default('127.0.0.1'),
    port: port('TCP port of the scrape endpoint.').default(9464),
    path: z
      .string()
      .startsWith('/', { error: 'expected a path starting with "/"' })
      .default('/metrics')
      .meta({ description: 'Scrape path; the JSON snapshot is served at <path>.json.' }),
    format: z
      .enum(['auto', 'prometheus', 'openmetrics'], { error: 'expected "auto", "prometheus" or "openmetrics"' })
      .default('auto')
      .meta({ description: '"auto" negotiates from the Accept header.' }),
    auth: z
      .union(
        [
          z.strictObject({ bearerToken: z.string().min(1).meta({ description: 'Required `Authorization: Bearer` token.' }) }),
          z
            .strictObject({ username: z.string().min(1), password: z.string().min(1) })
            .meta({ description: 'HTTP basic auth credentials.' }),
        ],
        { error: 'expected { bearerToken } or { username, password }' },
      )
      .optional()
      .meta({ description: 'Require credentials on every request.' }),
    timeouts: z
      .strictObject({
        headers: duration("Until a request's headers are complete.").default('10s'),
        request: duration('Until a whole request, body included, is received.').default('30s'),
        keepAlive: duration('An idle keep-alive connection is closed after this.').default('5s'),
        idle: duration('A connection with no traffic either way is closed after this.').default('60s'),
      })
      .default({ headers: '10s', request: '30s', keepAlive: '5s', idle: '60s' })
      .meta({ description: 'HTTP server timeouts; clients slower than a scraper are disconnected.' }),
    maxConcurrentScrapes: int(1)
      .default(256)
      .meta({ description: 'Scrapes answered at once (concurrent scrapes of one format share a render); beyond it 503.' }),
    ingest: z
      .strictObject({
        path: z
          .string()
          .startsWith('/', { error: 'expected a path starting with "/"' })
          .default('/ingest')
          .meta({ description: 'Where snapshots are POSTed.' }),
        maxBytes: int(1024, 67108864)
          .default(1024 * 1024)
          .meta({ description: 'Largest accepted snapshot.' }),
        maxSources: int(1)
          .default(1000)
          .meta({ description: 'Sources held at once; a new one beyond it is refused (429) until an idle one expires.' }),
        maxMetricsPerSource: int(1).default(256).meta({ description: 'Metric families one source may push; more are refused.' }),
        maxSeriesPerSource: int(1).default(1000).meta({ description: 'Series one source may push; more are refused.' }),
        maxBucketsPerHistogram: int(1, 256).default(256).meta({ description: 'Bucket bounds of one pushed histogram.' }),
        maxExpositionBytesPerSource: int(1024)
          .default(256 * 1024)
          .meta({ description: "Upper bound of the bytes one source's series add to a scrape; series beyond it are refused." }),
        maxExpositionBytes: int(1024)
          .default(16 * 1024 * 1024)
          .meta({ description: 'The same bound over all sources together.' }),
        sourceIdleTimeout: duration('A source that has not pushed for this long is forgotten and its series removed.').default('10m'),
        rateLimit: z
          .strictObject({
            sourcePushesPerSecond: z.number().positive().default(2).meta({ description: 'Pushes per second one source may make.' }),
            pushesPerSecond: z.number().positive().default(200).meta({ description: 'Pushes per second over all sources.' }),
            bytesPerSecond: int(1024)
              .default(4 * 1024 * 1024)
              .meta({ description: 'Body bytes per second parsed over all sources.' }),
          })
          .default({ sourcePushesPerSecond: 2, pushesPerSecond: 200, bytesPerSecond: 4 * 1024 * 1024 })
          .meta({ description: 'Beyond these, pushes are refused with 429 and Retry-After (bursts of twice the rate pass).' }),
        maxBufferedBytes: int(1024)
          .default(8 * 1024 * 1024)
          .meta({ description: 'Bytes of bodies being received at once, over all requests; a push that would exceed it gets 503.' }),
        origins: z
          .array(
            z.string().refine((o) => o === '*' || isOrigin(o), {
              error: 'expected an origin like "https://shop.example.com" (scheme, host, port; no path) or "*"',
            }),
            { error: 'expected a list of origins' },
          )
          .default([])
          .meta({
            description:
              'Pages on other origins allowed to push (CORS), e.g. "https://shop.example.com", or "*". Same-origin pages and non-browser clients are always accepted; other origins are refused (403).',
          }),
      })
      .optional()
      .meta({ description: 'Accept JSON snapshots pushed by browsers (pushSnapshots), merged with a `source` label. Off unless set.' }),
  })
  .meta({ title: 'prometheus', description: 'Pull endpoint for Prometheus (text 0.0.4 and OpenMetrics) and JSON.' });

export const StatsdExporterSchema = z
  .strictObject({
    type: z.literal('statsd'),
    host: host('StatsD daemon host; looked up again every `resolveEvery` and after a send error (UDP), never per packet.').default(
      '127.0.0.1',
    ),
    port: port('StatsD daemon port.').default(8125),
    protocol: z.enum(['udp', 'tcp'], { error: 'expected "udp" or "tcp"' }).default('udp').meta({ description: 'Transport.' }),
    flavor: z
      .enum(['etsy', 'dogstatsd', 'telegraf'], { error: 'expected "etsy", "dogstatsd" or "telegraf"' })
      .default('etsy')
      .meta({ description: 'Tag syntax: etsy `name;k=v`, dogstatsd `|#k:v`, telegraf `name,k=v`.' }),
    prefix: z.string().default('').meta({ description: 'Prepended to every StatsD name.' }),
    mtu: int(64, 65507).optional().meta({
      description:
        'Maximum datagram payload in bytes; lines are packed up to it. Default 1432, or 32768 when the daemon is on loopback (whose MTU is 64 KiB).',
    }),
    udpBytesPerSecond: int(1024)
      .default(512 * 1024)
      .meta({
        description:
          'UDP: bytes per second sent (bursts of 32 KiB), so a local daemon keeps up; UDP gives no delivery guarantee, TCP does.',
      }),
    resolveEvery: duration('How long a looked-up daemon address is used before it is looked up again.').default('30s'),
    ...pushCommon,
  })
  .meta({ title: 'statsd', description: 'Pushes deltas to a StatsD daemon over UDP or TCP.' });

export const JsonExporterSchema = z
  .strictObject({
    type: z.literal('json'),
    path: z.string({ error: 'expected a file path' }).min(1, { error: 'expected a file path' }).meta({ description: 'Output file.' }),
    mode: z
      .enum(['snapshot', 'ndjson'], { error: 'expected "snapshot" or "ndjson"' })
      .default('snapshot')
      .meta({ description: '"snapshot" rewrites the file atomically each interval; "ndjson" appends one snapshot per line.' }),
    maxBytes: int(1024)
      .default(10 * 1024 * 1024)
      .meta({ description: 'ndjson: rotate the file when it would grow past this size.' }),
    maxFiles: int(1, 100).default(5).meta({ description: 'ndjson: rotated files kept (path.1 is the newest).' }),
    ...pushCommon,
  })
  .meta({ title: 'json', description: 'Writes the documented JSON snapshot (docs/snapshot.schema.json) to a file.' });

export const ConsoleExporterSchema = z
  .strictObject({
    type: z.literal('console'),
    format: z
      .enum(['table', 'logfmt', 'json'], { error: 'expected "table", "logfmt" or "json"' })
      .default('table')
      .meta({ description: 'A readable table, logfmt lines or JSON lines.' }),
    stream: z
      .enum(['stdout', 'stderr'], { error: 'expected "stdout" or "stderr"' })
      .default('stdout')
      .meta({ description: 'Where to write.' }),
    colors: z
      .enum(['auto', 'always', 'never'], { error: 'expected "auto", "always" or "never"' })
      .default('auto')
      .meta({ description: '"auto": only on a TTY.' }),
    ...pushCommon,
  })
  .meta({ title: 'console', description: 'Prints metrics periodically for development.' });

export const OtlpExporterSchema = z
  .strictObject({
    type: z.literal('otlp'),
    protocol: z.enum(['http', 'grpc'], { error: 'expected "http" or "grpc"' }).default('http').meta({
      description: 'OTLP over HTTP (protobuf or JSON body) or gRPC (protobuf; Node only, needs the optional peer @grpc/grpc-js).',
    }),
    endpoint: z
      .url({ error: 'expected an http(s) URL' })
      .refine((u) => /^https?:/.test(u), { error: 'expected an http(s) URL' })
      .optional()
      .meta({
        description:
          'OTLP metrics endpoint. Default: http://127.0.0.1:4318/v1/metrics (HTTP), http://127.0.0.1:4317 (gRPC; https:// for TLS).',
      }),
    encoding: z
      .enum(['protobuf', 'json'], { error: 'expected "protobuf" or "json"' })
      .default('protobuf')
      .meta({ description: 'Request body encoding.' }),
    temporality: z
      .enum(['cumulative', 'delta'], { error: 'expected "cumulative" or "delta"' })
      .default('cumulative')
      .meta({ description: 'Aggregation temporality of sums and histograms.' }),
    headers: headers('Extra HTTP headers (e.g. authentication).'),
    resource: resourceAttributes('Resource attributes, e.g. { "service.name": "api" }.'),
    timeout: duration('Request timeout.').default('10s'),
    ...pushCommon,
  })
  .meta({ title: 'otlp', description: 'Pushes OTLP/HTTP (protobuf or JSON) to an OpenTelemetry receiver.' });

const httpUrl = (description: string) =>
  z
    .url({ error: 'expected an http(s) URL' })
    .refine((u) => /^https?:/.test(u), { error: 'expected an http(s) URL' })
    .meta({ description });

const httpHeaders = headers('Extra HTTP headers (e.g. authentication).');

export const RemoteWriteExporterSchema = z
  .strictObject({
    type: z.literal('remote-write'),
    url: httpUrl('Remote-write endpoint, e.g. http://127.0.0.1:9090/api/v1/write (Prometheus), .../api/v1/push (Mimir, Cortex).'),
    headers: httpHeaders,
    externalLabels: labelMap('Labels added to every series (a series keeps its own label of the same name).').default({}),
    timeout: duration('Request timeout.').default('10s'),
    ...pushCommon,
  })
  .meta({
    title: 'remote-write',
    description:
      'Pushes each collection with Prometheus remote write 1.0 (protobuf, snappy) to Prometheus, Mimir, Thanos, Cortex or VictoriaMetrics.',
  });

export const PushgatewayExporterSchema = z
  .strictObject({
    type: z.literal('pushgateway'),
    url: httpUrl('Pushgateway base URL, e.g. http://127.0.0.1:9091.'),
    job: z
      .string({ error: 'expected a job name' })
      .min(1, { error: 'expected a job name' })
      .meta({ description: 'The `job` grouping label.' }),
    grouping: labelMap('Further grouping labels (e.g. { instance: "batch-1" }).').default({}),
    method: z
      .enum(['put', 'post'], { error: 'expected "put" or "post"' })
      .default('put')
      .meta({ description: '"put" replaces the whole group each push; "post" replaces only the metrics pushed.' }),
    deleteOnShutdown: z.boolean({ error: 'expected true or false' }).default(false).meta({
      description: 'Delete the group after the final push at shutdown (for jobs whose last values must not linger).',
    }),
    headers: httpHeaders,
    timeout: duration('Request timeout.').default('10s'),
    ...pushCommon,
  })
  .meta({ title: 'pushgateway', description: 'Pushes the 0.0.4 text exposition to a Prometheus Pushgateway (batch jobs).' });

export const ExporterSchema = z.discriminatedUnion(
  'type',
  [
    PrometheusExporterSchema,
    StatsdExporterSchema,
    JsonExporterSchema,
    ConsoleExporterSchema,
    OtlpExporterSchema,
    RemoteWriteExporterSchema,
    PushgatewayExporterSchema,
  ],
  {
    error: 'expected an exporter with type "prometheus", "statsd", "json", "console", "otlp", "remote-write" or "pushgateway"',
  },
);

export const FilterSchema = z
  .union(
    [
      z.strictObject({
        accept: pattern.meta({
          description:
            'Keep metrics matching this pattern (the name as written or as Prometheus shows it); later filters are not consulted.',
        }),
      }),
      z.strictObject({
        deny: pattern.meta({
          description: 'Drop metrics matching this pattern, as written or as Prometheus shows it (they become no-ops).',
        }),
      }),
      z.strictObject({
        rename: z.strictObject({
          pattern: regex.meta({ description: 'Regular expression matched against the whole name.' }),
          replacement: z.string().meta({ description: 'Replacement; $1 etc. refer to groups.' }),
        }),
      }),
      z.strictObject({ commonLabels: labelMap('Labels added to every series.') }),
    ],
    { error: 'expected one of { accept }, { deny }, { rename: { pattern, replacement } }, { commonLabels }' },
  )
  .meta({ description: 'Applied in order at registration, as Micrometer MeterFilters are.' });

export const ComponentSchema = z.strictObject({
  enabled: z.boolean({ error: 'expected true or false' }).default(true).meta({ description: "Record this component's metrics at all." }),
  labels: labelMap("Extra labels on this component's series.").default({}),
  include: z
    .array(pattern)
    .default([])
    .meta({ description: 'Only metrics matching one of these, as written or as Prometheus shows them (empty: all).' }),
  exclude: z.array(pattern).default([]).meta({ description: 'Never these metrics (names as written or as Prometheus shows them).' }),
  samplingRate: rate("Sampling rate of this component's histograms and summaries.").optional(),
});

export const MetricsConfigSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Editor hint: path or URL of docs/config.schema.json.' }),
    enabled: z.boolean({ error: 'expected true or false' }).default(false).meta({
      description: 'Off by default: nothing is collected, no port opened, no timer started until true (or OMNIMETER_ENABLED=true).',
    }),
    collectionInterval: duration('How often push exporters collect and send.').default('10s'),
    prefix: z
      .string()
      .refine((p) => p === '' || METRIC_NAME.test(p), { error: 'expected a metric name prefix [a-zA-Z_:][a-zA-Z0-9_:./-]*' })
      .default('')
      .meta({ description: 'Prepended to every metric name.' }),
    defaultLabels: labelMap('Labels on every series.').default({}),
    mode: z
      .enum(['strict', 'lenient'], { error: 'expected "strict" or "lenient"' })
      .default('strict')
      .meta({ description: '"lenient" drops and counts invalid values instead of throwing.' }),
    exporters: z.array(ExporterSchema, { error: 'expected a list of exporters' }).default([]).meta({ description: 'Where metrics go.' }),
    retention: z
      .strictObject({
        maxSeries: int(1).default(2000).meta({ description: 'Series per metric; more go to the omnimeter_overflow series.' }),
        maxSeriesAge: duration('Drop series not updated for this long (off when absent).').optional(),
      })
      .default({ maxSeries: 2000 })
      .meta({ description: 'Limits on stored series.' }),
    samplingRate: rate(
      'Fraction of histogram/summary observations recorded (1-in-round(1/rate)); recorded ones count for the skipped, so counts and sums stay correct.',
    ).default(1),
    components: z.record(z.string(), ComponentSchema).default({}).meta({ description: 'Per-WASM-component settings, by component name.' }),
    filters: z
      .array(FilterSchema, { error: 'expected a list of filters' })
      .default([])
      .meta({ description: 'Accept / deny / rename / common labels, applied in order.' }),
    tracing: z
      .strictObject({
        enabled: z.boolean({ error: 'expected true or false' }).default(false).meta({
          description: 'Build an OpenTelemetry TracerProvider (timer spans, the WASM host) and export its spans. Off by default.',
        }),
        protocol: z
          .enum(['http/protobuf', 'http/json', 'grpc', 'zipkin'], { error: 'expected "http/protobuf", "http/json", "grpc" or "zipkin"' })
          .default('http/protobuf')
          .meta({ description: 'OTLP over HTTP (protobuf or JSON) or gRPC, or Zipkin JSON v2. Jaeger ingests OTLP natively.' }),
        endpoint: z
          .url({ error: 'expected an http(s) URL' })
          .refine((u) => /^https?:/.test(u), { error: 'expected an http(s) URL' })
          .optional()
          .meta({
            description:
              'Where spans go. Default: http://127.0.0.1:4318/v1/traces (HTTP), http://127.0.0.1:4317 (gRPC), http://127.0.0.1:9411/api/v2/spans (Zipkin).',
          }),
        sampleRatio: z
          .number({ error: 'expected a number in [0, 1]' })
          .min(0, { error: 'expected a number in [0, 1]' })
          .max(1, { error: 'expected a number in [0, 1]' })
          .default(1)
          .meta({ description: 'Fraction of new traces recorded (trace-id ratio); child spans follow their parent.' }),
        headers: headers('Extra headers (gRPC: metadata), e.g. authentication.'),
        resource: resourceAttributes('Resource attributes, e.g. { "service.name": "api" }.'),
      })
      .default({ enabled: false, protocol: 'http/protobuf', sampleRatio: 1, headers: {}, resource: {} })
      .meta({ description: 'Trace export with the OpenTelemetry SDK (optional peer dependencies, loaded only when enabled).' }),
    exemplars: z
      .strictObject({
        enabled: z.boolean({ error: 'expected true or false' }).default(false).meta({
          description:
            'Attach the active, sampled OpenTelemetry span to counters and histogram buckets (OpenMetrics exemplars, OTLP exemplars). Needs a context manager (NodeSDK or @opentelemetry/context-async-hooks).',
        }),
      })
      .default({ enabled: false })
      .meta({ description: 'Exemplars: trace ids on samples. Off by default.' }),
    shutdownTimeout: duration(
      'shutdown() resolves within this: it flushes exporters and closes connections until then, then reports what it could not deliver.',
    ).default('10s'),
    handleSignals: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .meta({ description: 'Flush and shut down on SIGTERM/SIGINT.' }),
    health: HealthSchema.optional(),
    alerting: AlertingSchema.optional(),
  })
  .meta({ title: 'omnimeter configuration' });

/** A configuration as written (defaults optional). */
export type MetricsConfigInput = z.input<typeof MetricsConfigSchema>;
/** A validated configuration with every default filled in. */
export type MetricsConfig = z.output<typeof MetricsConfigSchema>;
export type ExporterConfig = z.output<typeof ExporterSchema>;
export type FilterConfig = z.output<typeof FilterSchema>;
