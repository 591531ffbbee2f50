/**
 * The `wasm-component` backend: series are stored and aggregated by
 * omnimeter's engine compiled to a WebAssembly component (world `backend`,
 * wasm/examples/engine.ts, built by `npm run build:wasm` into
 * .cache/wasm/engine; loaded by the host's loaders). Counter, gauge and
 * histogram cells queue their updates; before each collection the backend
 * registers new series, sends the queue in one `apply-batch`, and reads
 * everything back with one `collector.snapshot`. Summary observations go in
 * at once, so the engine's sliding windows (on the clock this backend passes
 * through the `clock` import: createMetrics's) place them by arrival time.
 *
 * Families are registered in the engine under their own names (a counter
 * without `_total`, which the contract allows), the overflow series as the
 * metric's overflow (an empty label list), the core's self-metrics as they
 * are: the engine stores, it does not rename.
 */
import type {
  BackendHost,
  CellReading,
  CounterCell,
  FamilyDescriptor,
  GaugeCell,
  HistogramCell,
  MetricsBackend,
  SummaryCell,
} from '../../api/backend.js';
import type { GuestUpdate, Op, Recorder } from '../../api/recorder.js';
import { type CompiledComponent, type InstantiateCore, coreModules, preinstantiate } from '../../component/index.js';
import { type Clock, performanceClock } from '../../core/clock.js';
import { wireDescriptor } from '../../exposition/recorder.js';

interface SeriesState {
  labels: { name: string; value: string }[];
  value: number;
  count: number;
  sum: number;
  bucketCounts: Float64Array;
  quantileValues: Float64Array;
}

interface Engine {
  recorder: Recorder;
  collector: { snapshot(): { descriptor: { name: string; labelNames: string[] }; series: SeriesState[] }[] };
}

/** The engine's own count of what it refused, reported in its snapshot (wasm/examples/engine.ts). */
const ENGINE_REJECTED = 'omnimeter_engine_rejected_total';

/** Updates that rebuild a reading in a fresh series (summaries' windows cannot be replayed). */
function replay(series: number, r: CellReading): GuestUpdate[] {
  if (r.bucketCounts)
    return [
      ...r.bucketCounts.map((value, index) => ({ series, op: 'bucket' as Op, index, value })),
      { series, op: 'sum', index: 0, value: r.sum ?? 0 },
    ];
  if (r.value !== undefined) return [{ series, op: 'add', index: 0, value: r.value }];
  return [];
}

const keyOf = (name: string, values: readonly string[]) => `${name}\u0000${values.join('\u0001')}`;
/** The engine stores the overflow series without the host's default labels: only `omnimeter_overflow`. */
const overflowKey = (name: string) => `${name}\u0000\u0002overflow`;
const isOverflow = (s: SeriesState) => s.labels.length === 1 && s.labels[0]!.name === 'omnimeter_overflow';

abstract class EngineCell {
  seriesId = 0;
  registered = false;
  reading: CellReading | undefined;
  /** State to replay if an expired series comes back (its handle was kept). */
  carry: CellReading | undefined;
  constructor(
    protected readonly backend: EngineBackend,
    readonly family: FamilyDescriptor,
    readonly labelValues: readonly string[],
  ) {}
  protected queue(op: Op, index: number, value: number): void {
    this.backend.queue.push({ cell: this, op, index, value });
  }
  /** How the engine's snapshot names this cell's series. */
  get key(): string {
    const main = this.family.overflowOf;
    return main ? overflowKey(main.name) : keyOf(this.family.name, this.labelValues);
  }
  abstract empty(): CellReading;
  abstract readingOf(s: SeriesState): CellReading;
  read(): CellReading {
    return this.reading ?? this.empty();
  }
}

class Counter extends EngineCell implements CounterCell {
  add(value: number): void {
    this.queue('add', 0, value);
  }
  empty(): CellReading {
    return { value: 0 };
  }
  readingOf(s: SeriesState): CellReading {
    return { value: s.value };
  }
}

class Gauge extends Counter implements GaugeCell {
  set(value: number): void {
    this.queue('set', 0, value);
  }
}

class Histogram extends EngineCell implements HistogramCell {
  observe(value: number, weight: number): void {
    const bounds = this.family.buckets ?? [];
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.queue('bucket', i, weight);
    this.queue('sum', 0, value * weight);
  }
  addBucket(index: number, count: number): void {
    this.queue('bucket', index, count);
  }
  addSum(value: number): void {
    this.queue('sum', 0, value);
  }
  empty(): CellReading {
    return { count: 0, sum: 0, bucketCounts: new Array((this.family.buckets?.length ?? 0) + 1).fill(0) };
  }
  readingOf(s: SeriesState): CellReading {
    return { count: s.count, sum: s.sum, bucketCounts: Array.from(s.bucketCounts) };
  }
}

/** Summary observations go in at once: the engine's window places them by the time they arrive. */
class Summary extends EngineCell implements SummaryCell {
  observe(value: number, weight: number): void {
    const id = this.backend.seriesOf(this);
    if (id !== 0)
      this.backend.engine.recorder.applyBatch(Array.from({ length: weight }, () => ({ series: id, op: 'observe' as Op, index: 0, value })));
  }
  addSketchBucket(index: number, count: number): void {
    this.queue('sketch', index, count);
  }
  addSum(value: number): void {
    this.queue('sum', 0, value);
  }
  empty(): CellReading {
    return { count: 0, sum: 0, quantileValues: (this.family.quantiles ?? []).map(() => NaN) };
  }
  readingOf(s: SeriesState): CellReading {
    return { count: s.count, sum: s.sum, quantileValues: Array.from(s.quantileValues) };
  }
}

type AnyCell = Counter | Gauge | Histogram | Summary;

class EngineBackend implements MetricsBackend {
  readonly id = 'wasm-component';
  readonly queue: { cell: EngineCell; op: Op; index: number; value: number }[] = [];
  private readonly cells = new Set<AnyCell>();
  /** Expired cells the core may reinstate: forgotten by the engine, replayed if they come back. */
  private readonly expired = new Set<AnyCell>();
  private readonly metricIds = new Map<FamilyDescriptor, number>();
  private host: BackendHost | undefined;
  /** The engine's refusal counts at the last collection, by reason. */
  private readonly refusedBefore = new Map<string, number>();
  readonly engine: Engine;

  constructor(component: CompiledComponent, clock: Clock, instantiateCore?: InstantiateCore) {
    const imports = { nowMs: () => clock.now() };
    // jco names the import with and without the version depending on the release: give both.
    this.engine = component.glue.instantiate(
      coreModules(component),
      { 'omnimeter:metrics/clock': imports, 'omnimeter:metrics/clock@0.1.0': imports },
      instantiateCore,
    ) as unknown as Engine;
  }

  attach(host: BackendHost): void {
    this.host = host;
  }

  /** The engine's id for a cell's series, registering it on first use (0: refused). */
  seriesOf(cell: EngineCell): number {
    if (!cell.registered) {
      cell.registered = true;
      const main = cell.family.overflowOf;
      const metric = this.metric(main ?? cell.family);
      // The contract's way to name a metric's overflow series: an empty label list.
      cell.seriesId = metric === 0 ? 0 : this.engine.recorder.registerSeries(metric, main ? [] : [...cell.labelValues]);
      if (cell.carry && cell.seriesId !== 0) this.engine.recorder.applyBatch(replay(cell.seriesId, cell.carry));
      cell.carry = undefined;
    }
    return cell.seriesId;
  }

  private metric(family: FamilyDescriptor): number {
    let id = this.metricIds.get(family);
    if (id === undefined) this.metricIds.set(family, (id = this.engine.recorder.registerMetric(wireDescriptor(family))));
    return id;
  }

  private track<C extends AnyCell>(cell: C): C {
    this.cells.add(cell);
    return cell;
  }

  counterCell = (f: FamilyDescriptor, v: readonly string[]) => this.track(new Counter(this, f, v));
  gaugeCell = (f: FamilyDescriptor, v: readonly string[]) => this.track(new Gauge(this, f, v));
  histogramCell = (f: FamilyDescriptor, v: readonly string[]) => this.track(new Histogram(this, f, v));
  summaryCell = (f: FamilyDescriptor, v: readonly string[]) => this.track(new Summary(this, f, v));

  /**
   * Removed series are forgotten by the engine with what they queued (reset()
   * means the data is gone); expired ones too, but the core reinstates a
   * series whose handle the user still holds, which then re-registers and
   * replays what it had.
   */
  release(cell: unknown, reason: 'removed' | 'expired'): void {
    const c = cell as AnyCell;
    this.cells.delete(c);
    if (reason === 'removed') {
      let kept = 0;
      for (const u of this.queue) if (u.cell !== c) this.queue[kept++] = u;
      this.queue.length = kept;
    }
    if (c.registered && c.seriesId !== 0) this.queue.push({ cell: c, op: 'forget', index: 0, value: 0 });
    if (reason === 'expired') this.expired.add(c);
  }

  beforeCollect(): void {
    this.send();
    let snapshot = this.engine.collector.snapshot();
    const refusals = snapshot.find((f) => f.descriptor.name === ENGINE_REJECTED);
    // Counting them queues updates of a self-metric stored here too: send those and read again.
    if (refusals && this.reportRefusals(refusals.series)) {
      this.send();
      snapshot = this.engine.collector.snapshot();
    }
    const byKey = new Map<string, AnyCell>();
    for (const cell of this.cells) {
      this.seriesOf(cell);
      byKey.set(cell.key, cell);
    }
    for (const family of snapshot) {
      for (const s of family.series) {
        const name = family.descriptor.name;
        const cell = byKey.get(
          isOverflow(s)
            ? overflowKey(name)
            : keyOf(
                name,
                s.labels.map((l) => l.value),
              ),
        );
        if (cell) cell.reading = cell.readingOf(s);
      }
    }
  }

  /** Sends the queue in order: a forget must land before the same labels register again. */
  private send(): void {
    const recorder = this.engine.recorder;
    let batch: GuestUpdate[] = [];
    const flush = () => {
      if (batch.length) recorder.applyBatch(batch);
      batch = [];
    };
    for (const u of this.queue) {
      const cell = u.cell as AnyCell;
      if (u.op === 'forget') {
        flush();
        recorder.applyBatch([{ series: cell.seriesId, op: 'forget', index: 0, value: 0 }]);
        if (this.expired.has(cell)) {
          cell.registered = false;
          cell.carry = cell.reading;
        }
        continue;
      }
      if (this.expired.delete(cell)) this.cells.add(cell); // reinstated by the core
      const series = this.seriesOf(cell);
      if (series !== 0) batch.push({ series, op: u.op, index: u.index, value: u.value });
    }
    flush();
    this.queue.length = 0;
  }

  /** What the engine refused since the last collection reaches the host's omnimeter_backend_rejected_total. */
  private reportRefusals(series: readonly SeriesState[]): boolean {
    let reported = false;
    for (const s of series) {
      const reason = s.labels.find((l) => l.name === 'reason')?.value ?? 'unknown';
      const delta = s.value - (this.refusedBefore.get(reason) ?? 0);
      this.refusedBefore.set(reason, s.value);
      if (delta > 0 && this.host) {
        this.host.rejected(reason, delta);
        reported = true;
      }
    }
    return reported;
  }
}

/**
 * A backend whose series live in omnimeter's engine compiled to a WebAssembly
 * component: `engine` is its compiled transpile (Node: wasmComponentBackend
 * in omnimeter/host; a page: fetchComponent).
 */
export function engineBackend(
  engine: CompiledComponent,
  clock: Clock = performanceClock,
  instantiateCore?: InstantiateCore,
): MetricsBackend {
  return new EngineBackend(engine, clock, instantiateCore);
}

/**
 * The same backend in a page: the engine's 11 MB core module is instantiated
 * asynchronously first (see preinstantiate), then linked synchronously.
 */
export async function engineBackendAsync(engine: CompiledComponent, clock: Clock = performanceClock): Promise<MetricsBackend> {
  return engineBackend(engine, clock, await preinstantiate(engine));
}
