/**
 * The `wasm-component` backend: series are stored and aggregated by
 * omnimeter's engine compiled to a WebAssembly component (world `backend`,
 * built by `npm run build:wasm` into .cache/wasm/engine; loaded by
 * load-node.ts or, in a page, fetchComponent). Counter, gauge and
 * histogram cells queue their updates; before each collection the backend
 * registers new series, sends the queue in one `apply-batch`, and reads
 * everything back with one `collector.snapshot`. Summary observations go in
 * at once, so the engine's sliding windows (on the clock this backend passes
 * through the `clock` import: createMetrics's) place them by arrival time.
 */
import type { CellReading, CounterCell, FamilyDescriptor, GaugeCell, HistogramCell, MetricsBackend, SummaryCell } from '../api/backend.js';
import type { GuestUpdate, Op, Recorder } from '../api/recorder.js';
import { type Clock, performanceClock } from '../core/clock.js';
import { wireDescriptor } from '../exposition/recorder.js';
import { type CompiledComponent, type InstantiateCore, coreModules, preinstantiate } from './component.js';

interface Engine {
  recorder: Recorder;
  collector: {
    snapshot(): {
      descriptor: { name: string; labelNames: string[] };
      series: {
        labels: { name: string; value: string }[];
        value: number;
        count: number;
        sum: number;
        bucketCounts: Float64Array;
        quantileValues: Float64Array;
      }[];
    }[];
  };
}

const OVERFLOW_LABEL = 'omnimeter_overflow';

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
  abstract empty(): CellReading;
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
}

class Gauge extends EngineCell implements GaugeCell {
  set(value: number): void {
    this.queue('set', 0, value);
  }
  add(value: number): void {
    this.queue('add', 0, value);
  }
  empty(): CellReading {
    return { value: 0 };
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
}

type AnyCell = Counter | Gauge | Histogram | Summary;

class EngineBackend implements MetricsBackend {
  readonly id = 'wasm-component';
  readonly queue: { cell: EngineCell; op: Op; index: number; value: number }[] = [];
  private readonly cells = new Set<AnyCell>();
  private readonly metricIds = new Map<FamilyDescriptor, { id: number; name: string }>();
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

  /** The engine's id for a cell's series, registering it on first use (0: refused). */
  seriesOf(cell: EngineCell): number {
    if (!cell.registered) {
      cell.registered = true;
      const m = this.metric(this.engine, cell.family);
      cell.seriesId = m.id === 0 ? 0 : this.engine.recorder.registerSeries(m.id, [...cell.labelValues]);
      if (cell.carry && cell.seriesId !== 0) this.engine.recorder.applyBatch(replay(cell.seriesId, cell.carry));
      cell.carry = undefined;
    }
    return cell.seriesId;
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
   * Removed series are forgotten by the engine; expired ones stay, because
   * the core reinstates a series whose handle the user still holds.
   */
  release(cell: unknown, reason: 'removed' | 'expired'): void {
    const c = cell as AnyCell;
    this.cells.delete(c);
    if (reason === 'removed') {
      // What it queued is dropped with it: reset() means the data is gone.
      let kept = 0;
      for (const u of this.queue) if (u.cell !== c) this.queue[kept++] = u;
      this.queue.length = kept;
    }
    if (c.registered && c.seriesId !== 0) this.queue.push({ cell: c, op: 'forget', index: 0, value: 0 });
    if (reason === 'expired') {
      // The engine drops it like the native backend does; if the user's handle
      // brings it back, it re-registers and replays what it had.
      this.expired.add(c);
    }
  }

  private readonly expired = new Set<AnyCell>();

  /**
   * The name a family is stored under in the engine: the overflow series gets
   * a family of its own (its label set differs), and omnimeter_* self-metrics
   * a host_ prefix (the engine's own core has registered those names).
   */
  private metric(engine: Engine, f: FamilyDescriptor): { id: number; name: string } {
    let m = this.metricIds.get(f);
    if (!m) {
      const family = `${f.name.startsWith('omnimeter_') ? 'host_' : ''}${f.name}${f.labelNames.includes(OVERFLOW_LABEL) ? '_omnimeter_overflow' : ''}`;
      const name = f.type === 'counter' ? `${family}_total` : family;
      const id = engine.recorder.registerMetric(wireDescriptor(f, name));
      m = { id, name: f.type === 'counter' ? name.replace(/_total$/, '') : name };
      this.metricIds.set(f, m);
    }
    return m;
  }

  beforeCollect(): void {
    const engine = this.engine;
    // In order: a forget must land before the same labels register again.
    let batch: GuestUpdate[] = [];
    const send = () => {
      if (batch.length) engine.recorder.applyBatch(batch);
      batch = [];
    };
    for (const u of this.queue) {
      if (u.op === 'forget') {
        send();
        engine.recorder.applyBatch([{ series: u.cell.seriesId, op: 'forget', index: 0, value: 0 }]);
        if (this.expired.has(u.cell as AnyCell)) {
          u.cell.registered = false;
          u.cell.carry = u.cell.reading;
        }
        continue;
      }
      if (this.expired.delete(u.cell as AnyCell)) this.cells.add(u.cell as AnyCell); // reinstated by the core
      const series = this.seriesOf(u.cell);
      if (series !== 0) batch.push({ series, op: u.op, index: u.index, value: u.value });
    }
    send();
    this.queue.length = 0;
    const keyOf = (name: string, values: readonly string[]) => `${name}\u0000${values.join('\u0001')}`;
    const byKey = new Map<string, AnyCell>();
    for (const cell of this.cells) {
      this.seriesOf(cell);
      byKey.set(keyOf(this.metric(engine, cell.family).name, cell.labelValues), cell);
    }
    for (const family of engine.collector.snapshot()) {
      for (const s of family.descriptor ? family.series : []) {
        const cell = byKey.get(
          keyOf(
            family.descriptor.name,
            s.labels.map((l) => l.value),
          ),
        );
        if (!cell) continue;
        cell.reading =
          cell instanceof Counter || cell instanceof Gauge
            ? { value: s.value }
            : cell instanceof Histogram
              ? { count: s.count, sum: s.sum, bucketCounts: Array.from(s.bucketCounts) }
              : { count: s.count, sum: s.sum, quantileValues: Array.from(s.quantileValues) };
      }
    }
  }
}

/**
 * A backend whose series live in omnimeter's engine compiled to a WebAssembly
 * component: `engine` is its compiled transpile (Node: wasmComponentBackend
 * in load-node.ts; a page: fetchComponent).
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
