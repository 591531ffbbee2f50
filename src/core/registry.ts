import type { ExpositionFormat, MetricsRegistry } from '../api/metrics.js';
import type { FamilySnapshot } from '../api/snapshot.js';
import { CONTENT_TYPES, FamilyRenderer, SERIES_PER_CHUNK, expositionEnd, flatten } from '../exposition/text.js';
import type { Clock } from './clock.js';
import { MetricsError } from './errors.js';
import type { AnyFamily } from './families.js';
import { features } from './features.js';
import { sampleNames } from './names.js';

/**
 * Longest stretch expose() renders before yielding to the event loop. 1 ms
 * (was 2): a turn is a slice plus whatever GC and stream work lands in it, and
 * a 100k-series HTTP scrape with gzip stalled 5.8-12.6 ms of main-thread CPU
 * at 2 ms, 3.7-8.5 ms at 1 ms, for the same total CPU.
 */
const SLICE_MS = 1;
/**
 * The slice of a registry of at most SMALL_REGISTRY series: its scrape (1.5-3
 * ms for 1,000 histogram series all changed) then runs in one turn, where 1 ms
 * slices let whatever else waits on the loop run inside it (in npm run bench,
 * the five exporters' timers); a cold first scrape (~50 ms for 2,000
 * histogram series) still yields every 5 ms.
 */
const SMALL_REGISTRY_SLICE_MS = 5;
const SMALL_REGISTRY = 2_000;
/** Characters of exposition text per part exposeChunks yields: well under V8's large-object size. */
const PART_CHARS = 32 * 1024;

// setImmediate (Node) runs after pending I/O without setTimeout's 1 ms floor.
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const yieldToEventLoop: () => Promise<void> = immediate
  ? () => new Promise((resolve) => immediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

export interface RegistryHooks {
  clock: Clock;
  ttlMs: number | undefined;
  /** Runs before each collection (backend sync). */
  beforeCollect(): void | Promise<void>;
  /** A gauge's collect callback threw; the family keeps its last values. */
  onCollectError(metric: string, error: unknown): void;
}

/** Owns the families of one Metrics instance, their names, and exposition. */
export class Registry implements MetricsRegistry {
  private readonly families = new Map<string, AnyFamily>();
  /** Every sample name in use, with the family that writes it. */
  private readonly samples = new Map<string, string>();
  private readonly collectHooks: { name: string; run: () => void | Promise<void> }[] = [];
  private readonly headerSources: (() => Readonly<Record<string, string>> | undefined)[] = [];
  /** Text of unchanged series across scrapes, when the entry installed it (core/features.ts). */
  private readonly textCaches = features.textCaches?.();
  /**
   * One renderer per family and format, kept across scrapes. A renderer made
   * per scrape left no instance alive at the next full GC, which then
   * collected its map (class fields are map transitions, held weakly) and
   * discarded the optimized render code embedding it: every scrape after a
   * full GC ran deoptimized (1,000 histograms all changed: 4-6 ms instead of
   * 1.4). Families are never removed, and their metadata never changes.
   */
  private readonly renderers = { prometheus: new Map<AnyFamily, FamilyRenderer>(), openmetrics: new Map<AnyFamily, FamilyRenderer>() };

  constructor(private readonly hooks: RegistryHooks) {}

  /** The family registered under `name`, if any. */
  get(name: string): AnyFamily | undefined {
    return this.families.get(name);
  }

  /**
   * Registers a family built by `create`, or returns the one already there if
   * it has the same shape. A different shape, or a name another family's
   * samples already use, is an error: one label schema per name. `exposed`
   * is the family's Prometheus name (OpenTelemetry names translated), so two
   * names that translate alike (`a.b` and `a_b`) are reported, not merged.
   */
  register<F extends AnyFamily>(name: string, exposed: string, type: string, shape: string, create: () => F): F {
    const existing = this.families.get(name);
    if (existing) {
      if (existing.descriptor.type === type && existing.shape === shape) return existing as F;
      throw new MetricsError(
        'CONFLICT',
        `metric "${name}" is already registered as ${existing.descriptor.type} ${existing.shape}; cannot register it again as ${type} ${shape}`,
      );
    }
    const names = sampleNames(exposed, type as AnyFamily['descriptor']['type']);
    for (const sample of names) {
      const owner = this.samples.get(sample);
      if (owner !== undefined) {
        const as = exposed === name ? '' : ` (exposed as "${exposed}")`;
        throw new MetricsError(
          'CONFLICT',
          `metric "${name}"${as} would write samples named "${sample}", which metric "${owner}" already writes`,
        );
      }
    }
    const family = create();
    this.families.set(name, family);
    for (const sample of names) this.samples.set(sample, name);
    return family;
  }

  /**
   * Runs `run` before every collection, to refresh pull-style values (gauge
   * callbacks, process metrics). A hook that throws is counted under `name`
   * and the others still run. Returns a function that removes the hook.
   */
  addCollectHook(name: string, run: () => void | Promise<void>): () => void {
    const hook = { name, run };
    this.collectHooks.push(hook);
    return () => {
      const i = this.collectHooks.indexOf(hook);
      if (i >= 0) this.collectHooks.splice(i, 1);
    };
  }

  addResponseHeaders(source: () => Readonly<Record<string, string>> | undefined): () => void {
    this.headerSources.push(source);
    return () => {
      const i = this.headerSources.indexOf(source);
      if (i >= 0) this.headerSources.splice(i, 1);
    };
  }

  responseHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const source of this.headerSources) Object.assign(headers, source());
    return headers;
  }

  async collect(): Promise<FamilySnapshot[]> {
    await this.runCollectHooks();
    return this.collectNow();
  }

  /** Collect hooks, then the backend's sync: what every collection starts with. */
  private async runCollectHooks(): Promise<void> {
    for (const hook of [...this.collectHooks]) {
      try {
        await hook.run();
      } catch (error) {
        this.hooks.onCollectError(hook.name, error);
      }
    }
    await this.hooks.beforeCollect();
  }

  /**
   * The families as they are now, synchronously, without running collect
   * hooks or the backend's sync: for engines that must answer inside a
   * synchronous call (a WebAssembly component's export).
   */
  collectNow(): FamilySnapshot[] {
    const now = this.hooks.clock.now();
    const snapshots: FamilySnapshot[] = [];
    for (const family of this.families.values()) snapshots.push(family.collect(now, this.hooks.ttlMs));
    return snapshots;
  }

  async expose(format: ExpositionFormat = 'prometheus', sliceMs?: number): Promise<string> {
    // The parts are flat strings already: concatenating them copies nothing
    // (a rope of parts), where a join copied the whole exposition once more.
    let out = '';
    for await (const part of this.exposeChunks(format, sliceMs)) out += part;
    return out;
  }

  /**
   * The exposition as it is rendered, in flat parts of about 32K characters.
   * Reading the series is sliced like rendering: every family is read a
   * chunk at a time, and whenever a slice has taken `sliceMs` (default
   * SLICE_MS, SMALL_REGISTRY_SLICE_MS for a registry of at most
   * SMALL_REGISTRY series) the stream yields to the event loop, so no registry size blocks
   * the process for longer than a slice and one chunk.
   */
  async *exposeChunks(format: ExpositionFormat = 'prometheus', sliceMs?: number): AsyncGenerator<string> {
    if (format !== 'prometheus' && format !== 'openmetrics') {
      throw new MetricsError('INVALID_OPTIONS', `expose: format must be "prometheus" or "openmetrics", got ${String(format)}`);
    }
    await this.runCollectHooks();
    let series = 0;
    for (const family of this.families.values()) series += family.seriesCount();
    const slice = sliceMs ?? (series <= SMALL_REGISTRY ? SMALL_REGISTRY_SLICE_MS : SLICE_MS);
    const now = this.hooks.clock.now();
    let sliceStart = performance.now();
    // Pieces are concatenated (a rope) and flattened into parts of about
    // PART_CHARS: one join of ropes built from a whole registry's += pieces
    // took 100-250 ms at 100k series, and a string past ~128 KiB is allocated
    // in V8's large-object space, page-faulted in and unmapped again: a
    // 784 KB flat string cost ~0.8 ms, mostly system time, per scrape.
    let pending = '';
    for (const family of [...this.families.values()]) {
      family.sweep(now, this.hooks.ttlMs);
      const renderer = this.renderer(family, format);
      pending += renderer.head;
      for (const piece of family.renderChunks(renderer, SERIES_PER_CHUNK, this.textCaches?.of(family, format))) {
        pending += piece;
        if (pending.length >= PART_CHARS) {
          yield flatten(pending);
          pending = '';
        }
        if (performance.now() - sliceStart >= slice) {
          if (pending) yield flatten(pending);
          pending = '';
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
    }
    yield flatten(pending + expositionEnd(format));
  }

  private renderer(family: AnyFamily, format: ExpositionFormat): FamilyRenderer {
    const kept = this.renderers[format];
    let renderer = kept.get(family);
    if (!renderer) kept.set(family, (renderer = new FamilyRenderer(family.head(), format)));
    return renderer;
  }

  contentType(format: ExpositionFormat = 'prometheus'): string {
    return CONTENT_TYPES[format];
  }
}
