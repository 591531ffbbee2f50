/**
 * The primary side: one merged view of every worker, through the core's
 * merge port (the same port WebAssembly guests and /ingest use). Each
 * scrape (any collection: pull or push exporters) asks every live worker for
 * its changes and waits up to `timeoutMs`; whoever has not answered by then
 * is reported, the rest are merged and the scrape goes on. A late batch is
 * still merged when it comes: deltas are exact whenever they arrive.
 */
import type { Counter, Gauge } from '../api/instruments.js';
import type { GaugePolicy, MergeRefusal, MergeSession } from '../api/merge.js';
import type { Metrics } from '../api/metrics.js';
import { CHANNEL, type Entry, type FlushRequest, type WireMetric, isWorkerMessage } from './protocol.js';

/** How a worker's gauge combines with the others': a merge policy, or `worker` (a series per worker). */
export type WorkerGaugePolicy = GaugePolicy | 'worker';

export interface AggregatorOptions {
  /** Label naming the worker on every series; false: workers share series (the default). */
  workerLabel?: string | false;
  /** How gauges of several workers combine. Default "sum". */
  gaugePolicy?: WorkerGaugePolicy;
  /** Per gauge name (as the worker registers it): overrides gaugePolicy. */
  gaugePolicies?: Readonly<Record<string, WorkerGaugePolicy>>;
  /** How long a collection waits for workers, in ms. Default 2000. */
  timeoutMs?: number;
}

/** Sends a flush request to one worker; false if the worker can no longer be reached. */
export type WorkerLink = (request: FlushRequest) => boolean;

const IDENTITY_LABEL = 'worker';

/** The header a scrape's answer carries when its collection missed workers. */
export const PARTIAL_HEADER = 'x-omnimeter-partial';

/** `missing=2; workers=w1,w3`: identities percent-encoded, so any identity makes a valid header. */
export function partialHeaderValue(missing: readonly string[]): string {
  return `missing=${missing.length}; workers=${missing.map(encodeURIComponent).join(',')}`;
}

interface Mapped {
  session: MergeSession;
  id: number;
  gauge: boolean;
}

/** One worker process or thread, for as long as it lives. */
export class WorkerConnection {
  identity: string | undefined;
  /** The last flush request answered. */
  answered = 0;
  private readonly sessions = new Map<WorkerGaugePolicy, MergeSession>();
  private readonly metrics = new Map<number, Mapped & { labelled: boolean }>();
  private readonly series = new Map<number, Mapped>();
  private gone = false;

  constructor(
    private readonly aggregator: WorkerAggregator,
    readonly link: WorkerLink,
  ) {}

  get alive(): boolean {
    return !this.gone;
  }

  /** Feed every message from the worker here; messages that are not ours are ignored. */
  receive(message: unknown): void {
    if (this.gone || !isWorkerMessage(message)) return;
    this.identity ??= message.worker;
    for (const entry of message.entries) this.apply(entry);
    if (message.seq > this.answered) {
      this.answered = message.seq;
      this.aggregator.answered(this);
    }
  }

  /** The worker exited: its gauges go (sum, min and max stop counting it), its totals stay. */
  exit(): void {
    if (this.gone) return;
    this.gone = true;
    for (const s of this.series.values()) if (s.gauge) s.session.forget(s.id);
    for (const session of this.sessions.values()) session.close();
    this.aggregator.exited(this);
  }

  private session(policy: WorkerGaugePolicy): MergeSession {
    let session = this.sessions.get(policy);
    if (!session) {
      const { workerLabel } = this.aggregator;
      const label = workerLabel || (policy === 'worker' ? IDENTITY_LABEL : undefined);
      session = this.aggregator.metrics.merge.open({
        labels: label ? [[label, this.identity ?? '']] : [],
        gaugePolicy: policy === 'worker' ? 'last' : policy,
      });
      this.sessions.set(policy, session);
    }
    return session;
  }

  private apply(entry: Entry): void {
    const refused = this.applyEntry(entry);
    if (refused) this.aggregator.refused(this, refused);
  }

  private applyEntry(entry: Entry): MergeRefusal | undefined {
    if (entry[0] === 'm') {
      const [, local, desc] = entry as ['m', number, WireMetric];
      // The worker's own self-metrics describe its recorder, not the application: they stay in the worker.
      if (desc.name.startsWith('omnimeter_')) return undefined;
      const gauge = desc.kind === 'gauge';
      const session = this.session(gauge ? this.aggregator.policyOf(desc.name) : 'sum');
      const id = session.register(desc);
      if (typeof id !== 'number') return id;
      this.metrics.set(local, { session, id, gauge, labelled: desc.labelNames.length > 0 });
      return undefined;
    }
    if (entry[0] === 's') {
      const [, local, metric, values] = entry;
      const m = this.metrics.get(metric);
      if (!m) return undefined; // a metric that stayed in the worker (or was refused, counted then)
      const id = values.length === 0 && m.labelled ? m.session.overflow(m.id) : m.session.series(m.id, values);
      if (typeof id !== 'number') return id;
      this.series.set(local, { session: m.session, id, gauge: m.gauge });
      return undefined;
    }
    const [, local, op, index, value] = entry;
    const s = this.series.get(local);
    if (!s) return undefined;
    if (op !== 'forget') return s.session.apply(s.id, op, index, value);
    this.series.delete(local);
    return s.session.forget(s.id);
  }
}

export class WorkerAggregator {
  readonly workerLabel: string | false;
  private readonly timeoutMs: number;
  private readonly connections = new Set<WorkerConnection>();
  private seq = 0;
  private wake: (() => void) | undefined;
  private missing: string[] = [];
  private readonly up: Gauge<'worker'>;
  private readonly missingGauge: Gauge;
  private readonly timeouts: Counter<'worker'>;
  private readonly exits: Counter<'worker'>;
  private readonly rejected: Counter<'worker' | 'reason'>;
  private readonly removeHook: () => void;
  private readonly removeHeaders: () => void;

  constructor(
    readonly metrics: Metrics,
    private readonly options: AggregatorOptions = {},
  ) {
    this.workerLabel = options.workerLabel ?? false;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.up = metrics.gauge('omnimeter_cluster_worker_up', {
      help: 'Whether each worker answered the last collection (0: did not answer in time, or exited).',
      labelNames: ['worker'],
    });
    this.missingGauge = metrics.gauge('omnimeter_cluster_workers_missing', {
      help: 'Workers whose changes are missing from this collection (did not answer in time); 0 when complete.',
    });
    this.timeouts = metrics.counter('omnimeter_cluster_flush_timeouts_total', {
      help: 'Collections a worker did not answer within the timeout.',
      labelNames: ['worker'],
    });
    this.exits = metrics.counter('omnimeter_cluster_worker_exits_total', { help: 'Workers that exited.', labelNames: ['worker'] });
    this.rejected = metrics.counter('omnimeter_cluster_rejected_total', {
      help: 'Registrations and updates from workers the merge port refused, by reason.',
      labelNames: ['worker', 'reason'],
    });
    this.removeHook = metrics.registry.addCollectHook('cluster', () => this.collect());
    this.removeHeaders = metrics.registry.addResponseHeaders(() =>
      this.missing.length > 0 ? { [PARTIAL_HEADER]: partialHeaderValue(this.missing) } : undefined,
    );
  }

  policyOf(name: string): WorkerGaugePolicy {
    return this.options.gaugePolicies?.[name] ?? this.options.gaugePolicy ?? 'sum';
  }

  /** A new worker: feed its messages to `receive`, call `exit` when it is gone. */
  connect(link: WorkerLink): WorkerConnection {
    const connection = new WorkerConnection(this, link);
    this.connections.add(connection);
    return connection;
  }

  /** Workers that did not answer the last collection. */
  partial(): readonly string[] {
    return this.missing;
  }

  /** Asks every live worker for its changes and waits for them, at most timeoutMs. */
  async collect(): Promise<void> {
    const seq = ++this.seq;
    const asked = [...this.connections].filter((c) => c.link({ [CHANNEL]: 'flush', seq }));
    const pending = () => asked.filter((c) => c.alive && c.answered < seq);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (pending().length === 0) resolve();
      };
      this.wake = check;
      timer = setTimeout(resolve, this.timeoutMs);
      check();
    });
    clearTimeout(timer);
    this.wake = undefined;
    const late = pending();
    this.missing = late.map((c) => c.identity ?? '');
    this.missingGauge.set(late.length);
    for (const c of asked) {
      if (!c.alive || c.identity === undefined) continue;
      this.up.set({ worker: c.identity }, c.answered >= seq ? 1 : 0);
      if (c.answered < seq) this.timeouts.inc({ worker: c.identity });
    }
  }

  /** @internal */
  answered(_connection: WorkerConnection): void {
    this.wake?.();
  }

  /** @internal */
  exited(connection: WorkerConnection): void {
    this.connections.delete(connection);
    if (connection.identity !== undefined) {
      this.up.set({ worker: connection.identity }, 0);
      this.exits.inc({ worker: connection.identity });
    }
    this.wake?.();
  }

  /** @internal */
  refused(connection: WorkerConnection, reason: MergeRefusal): void {
    this.rejected.inc({ worker: connection.identity ?? '', reason });
  }

  /** Stops collecting from workers; what they sent stays. */
  close(): void {
    this.removeHook();
    this.removeHeaders();
    this.connections.clear();
  }
}
