// omnimeter guest SDK for AssemblyScript: the Counter/Gauge/Histogram/Summary/
// Timer of the Node API, aggregated inside the guest and flushed to the host
// (omnimeter:metrics/recorder@0.1.0) in numeric batches. Recording touches
// guest memory only; the host is called when a metric or series is first
// used, when the batch buffer fills, and on flush().
//
// Names are Prometheus names ("jobs_total") or OpenTelemetry instrument names
// ("tool.calls"), label names Prometheus labels or attribute keys
// ("http.route"), units UCUM ("s", "By", "{request}") or a Prometheus word that
// is already the name's suffix ("seconds"): wit/metrics.wit's descriptor says
// how a host translates them for Prometheus and what it refuses.
//
// The canonical ABI is written by hand (there is no wit-bindgen for
// AssemblyScript): strings are UTF-16 (components are embedded with
// --string-encoding utf16), lists are (pointer, length) pairs.

// ---- imports ---------------------------------------------------------------

@external("omnimeter:metrics/recorder@0.1.0", "register-metric")
declare function hostRegisterMetric(
  namePtr: usize, nameLen: i32, helpPtr: usize, helpLen: i32, unitPtr: usize, unitLen: i32,
  kind: i32, labelsPtr: usize, labelsLen: i32, bucketsPtr: usize, bucketsLen: i32, quantilesPtr: usize, quantilesLen: i32,
  maxAgeSeconds: f64, ageBuckets: u32,
): u32;

@external("omnimeter:metrics/recorder@0.1.0", "register-series")
declare function hostRegisterSeries(metric: u32, valuesPtr: usize, valuesLen: i32): u32;

@external("omnimeter:metrics/recorder@0.1.0", "apply-batch")
declare function hostApplyBatch(updatesPtr: usize, updatesLen: i32): void;

@external("omnimeter:metrics/recorder@0.1.0", "now")
declare function hostNow(): f64;

// ---- ABI helpers -------------------------------------------------------------

const KIND_COUNTER = 0;
const KIND_GAUGE = 1;
const KIND_HISTOGRAM = 2;
const KIND_SUMMARY = 3;

const OP_ADD: u8 = 0;
const OP_SET: u8 = 1;
const OP_BUCKET: u8 = 3;
const OP_SKETCH: u8 = 4;
const OP_SUM: u8 = 5;

/** list<string> as the canonical ABI lays it out: (ptr, len) pairs of UTF-16 strings. */
function stringList(items: string[]): usize {
  const out = heap.alloc(<usize>items.length * 8);
  for (let i = 0; i < items.length; i++) {
    store<u32>(out + <usize>i * 8, <u32>changetype<usize>(items[i]));
    store<u32>(out + <usize>i * 8 + 4, <u32>items[i].length);
  }
  return out;
}

function f64List(items: f64[]): usize {
  const out = heap.alloc(<usize>items.length * 8);
  for (let i = 0; i < items.length; i++) store<f64>(out + <usize>i * 8, items[i]);
  return out;
}

// ---- batching ------------------------------------------------------------------

// One update record: series u32 @0, op u8 @4, index u32 @8, value f64 @16 (size 24, align 8).
const UPDATE_SIZE: usize = 24;
const BATCH_CAPACITY: i32 = 512;
const batch: usize = heap.alloc(UPDATE_SIZE * <usize>BATCH_CAPACITY);
let batchLength: i32 = 0;

function push(series: u32, op: u8, index: u32, value: f64): void {
  if (batchLength == BATCH_CAPACITY) sendBatch();
  const at = batch + <usize>batchLength * UPDATE_SIZE;
  store<u32>(at, series);
  store<u8>(at, op, 4);
  store<u32>(at, index, 8);
  store<f64>(at, value, 16);
  batchLength++;
}

function sendBatch(): void {
  if (batchLength > 0) hostApplyBatch(batch, batchLength);
  batchLength = 0;
}

/** Series with changes since the last flush. */
const dirty: Series[] = [];

/** Sends every change recorded since the last flush to the host in batches. */
export function flush(): void {
  for (let i = 0; i < dirty.length; i++) {
    const s = unchecked(dirty[i]);
    s.writeUpdates();
    s.dirty = false;
  }
  dirty.length = 0;
  sendBatch();
}

/** Monotonic seconds from the host, for timers. */
export function now(): f64 {
  return hostNow();
}

// ---- metrics and series -----------------------------------------------------------

/** A metric as the guest knows it; registered with the host on first use. */
export class Metric {
  id: u32 = 0;
  private registered: bool = false;
  constructor(
    public name: string,
    public help: string,
    public kind: i32,
    public labelNames: string[],
    public unit: string,
    public buckets: f64[],
    public quantiles: f64[],
    public maxAgeSeconds: f64 = 0,
    public ageBuckets: u32 = 0,
  ) {}

  /** The host id, 0 when the host refused the metric. */
  hostId(): u32 {
    if (!this.registered) {
      this.registered = true;
      // The lists are lowered for this call only: the host copies them.
      const labels = stringList(this.labelNames);
      const buckets = f64List(this.buckets);
      const quantiles = f64List(this.quantiles);
      this.id = hostRegisterMetric(
        changetype<usize>(this.name), this.name.length,
        changetype<usize>(this.help), this.help.length,
        changetype<usize>(this.unit), this.unit.length,
        this.kind,
        labels, this.labelNames.length,
        buckets, this.buckets.length,
        quantiles, this.quantiles.length,
        this.maxAgeSeconds, this.ageBuckets,
      );
      heap.free(labels);
      heap.free(buckets);
      heap.free(quantiles);
    }
    return this.id;
  }
}

export class Series {
  id: u32 = 0;
  dirty: bool = false;
  private registered: bool = false;
  constructor(public metric: Metric, public labelValues: string[]) {}

  /** Marks the series changed; the first change since a flush queues it. */
  @inline touch(): void {
    if (!this.dirty) {
      this.dirty = true;
      dirty.push(this);
    }
  }

  hostId(): u32 {
    if (!this.registered) {
      this.registered = true;
      const metric = this.metric.hostId();
      if (metric != 0) {
        const values = stringList(this.labelValues);
        this.id = hostRegisterSeries(metric, values, this.labelValues.length);
        heap.free(values);
      }
    }
    return this.id;
  }

  writeUpdates(): void {}
}

export class CounterSeries extends Series {
  pending: f64 = 0;
  /** Adds `value` (>= 0; others are ignored, as the host would refuse them). */
  @inline inc(value: f64 = 1): void {
    if (value >= 0 && value < Infinity) {
      this.pending += value;
      this.touch();
    }
  }
  writeUpdates(): void {
    const id = this.hostId();
    if (id != 0 && this.pending != 0) push(id, OP_ADD, 0, this.pending);
    this.pending = 0;
  }
}

export class GaugeSeries extends Series {
  value: f64 = 0;
  @inline set(value: f64): void {
    this.value = value;
    this.touch();
  }
  @inline inc(value: f64 = 1): void {
    this.value += value;
    this.touch();
  }
  @inline dec(value: f64 = 1): void {
    this.value -= value;
    this.touch();
  }
  writeUpdates(): void {
    const id = this.hostId();
    if (id != 0) push(id, OP_SET, 0, this.value);
  }
}

export class HistogramSeries extends Series {
  counts: StaticArray<f64>;
  sum: f64 = 0;
  constructor(metric: Metric, labelValues: string[]) {
    super(metric, labelValues);
    this.counts = new StaticArray<f64>(metric.buckets.length + 1);
  }
  observe(value: f64): void {
    if (!isFinite(value)) return;
    const bounds = this.metric.buckets;
    let i = 0;
    while (i < bounds.length && value > unchecked(bounds[i])) i++;
    unchecked((this.counts[i] += 1));
    this.sum += value;
    this.touch();
  }
  writeUpdates(): void {
    const id = this.hostId();
    for (let i = 0; i < this.counts.length; i++) {
      const c = unchecked(this.counts[i]);
      if (c != 0) {
        if (id != 0) push(id, OP_BUCKET, <u32>i, c);
        unchecked((this.counts[i] = 0));
      }
    }
    if (id != 0) push(id, OP_SUM, 0, this.sum);
    this.sum = 0;
  }
}

/**
 * Summary observations go into the same log-linear sketch the host uses: the
 * bucket is the top 19 bits of the float, so guest and host buckets agree and
 * merge exactly.
 */
export class SummarySeries extends Series {
  pending: Map<u32, f64> = new Map<u32, f64>();
  sum: f64 = 0;
  observe(value: f64): void {
    if (!(value >= 0 && value < Infinity)) return;
    const index = <u32>(reinterpret<u64>(value) >> 45);
    const p = this.pending;
    p.set(index, p.has(index) ? p.get(index) + 1 : 1);
    this.sum += value;
    this.touch();
  }
  writeUpdates(): void {
    const id = this.hostId();
    const keys = this.pending.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (id != 0) push(id, OP_SKETCH, k, this.pending.get(k));
    }
    if (id != 0) push(id, OP_SUM, 0, this.sum);
    this.pending.clear();
    this.sum = 0;
  }
}

// ---- user-facing metrics --------------------------------------------------------

/** The children map key: the one value itself in the common one-label case (no allocation). */
function key(values: string[]): string {
  if (values.length == 0) return "";
  if (values.length == 1) return unchecked(values[0]);
  return values.join("\u0000");
}

export class Counter {
  private metric: Metric;
  private children: Map<string, CounterSeries> = new Map<string, CounterSeries>();
  private root: CounterSeries | null = null;
  constructor(name: string, help: string, labelNames: string[] = [], unit: string = "") {
    this.metric = new Metric(name, help, KIND_COUNTER, labelNames, unit, [], []);
  }
  /** The series for these label values (in labelNames order); keep it for the hot path. */
  labels(values: string[]): CounterSeries {
    const k = key(values);
    if (this.children.has(k)) return this.children.get(k);
    const s = new CounterSeries(this.metric, values);
    this.children.set(k, s);
    return s;
  }
  inc(value: f64 = 1): void {
    let r = this.root;
    if (r == null) this.root = r = this.labels([]);
    r.inc(value);
  }
}

export class Gauge {
  private metric: Metric;
  private children: Map<string, GaugeSeries> = new Map<string, GaugeSeries>();
  constructor(name: string, help: string, labelNames: string[] = [], unit: string = "") {
    this.metric = new Metric(name, help, KIND_GAUGE, labelNames, unit, [], []);
  }
  labels(values: string[]): GaugeSeries {
    const k = key(values);
    if (this.children.has(k)) return this.children.get(k);
    const s = new GaugeSeries(this.metric, values);
    this.children.set(k, s);
    return s;
  }
  set(value: f64): void {
    this.labels([]).set(value);
  }
}

export class Histogram {
  private metric: Metric;
  private children: Map<string, HistogramSeries> = new Map<string, HistogramSeries>();
  constructor(name: string, help: string, buckets: f64[], labelNames: string[] = [], unit: string = "") {
    this.metric = new Metric(name, help, KIND_HISTOGRAM, labelNames, unit, buckets, []);
  }
  labels(values: string[]): HistogramSeries {
    const k = key(values);
    if (this.children.has(k)) return this.children.get(k);
    const s = new HistogramSeries(this.metric, values);
    this.children.set(k, s);
    return s;
  }
  observe(value: f64): void {
    this.labels([]).observe(value);
  }
}

export class Summary {
  private metric: Metric;
  private children: Map<string, SummarySeries> = new Map<string, SummarySeries>();
  /** `maxAgeSeconds`/`ageBuckets` 0: the host's defaults (600 s, 5 steps). */
  constructor(name: string, help: string, quantiles: f64[], labelNames: string[] = [], unit: string = "", maxAgeSeconds: f64 = 0, ageBuckets: u32 = 0) {
    this.metric = new Metric(name, help, KIND_SUMMARY, labelNames, unit, [], quantiles, maxAgeSeconds, ageBuckets);
  }
  labels(values: string[]): SummarySeries {
    const k = key(values);
    if (this.children.has(k)) return this.children.get(k);
    const s = new SummarySeries(this.metric, values);
    this.children.set(k, s);
    return s;
  }
  observe(value: f64): void {
    this.labels([]).observe(value);
  }
}

/**
 * Durations in seconds into a histogram: `const t = timer.start(); ...; timer.stop(t)`.
 * The unit is the word "seconds" for a name that ends in `_seconds`, else UCUM "s"
 * (`tool.call.duration` is exposed as `tool_call_duration_seconds`).
 */
export class Timer {
  private histogram: Histogram;
  constructor(name: string, help: string, buckets: f64[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]) {
    this.histogram = new Histogram(name, help, buckets, [], name.endsWith("_seconds") ? "seconds" : "s");
  }
  start(): f64 {
    return hostNow();
  }
  stop(started: f64): f64 {
    const seconds = hostNow() - started;
    this.histogram.observe(seconds);
    return seconds;
  }
}
