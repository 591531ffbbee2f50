/**
 * Admission in front of the `/ingest` merge: who may push now (rate limits,
 * the source table, concurrency), what a push may carry (admission.ts), when
 * a source is forgotten (idle expiry), and what the client is told
 * (response.ts). HTTP-agnostic: the server hands it a source name and the
 * body text. The merge itself is a port (IngestMerger), so how pushed data
 * reaches the core can change without touching any of this.
 */
import type { Counter } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import { formatIssues } from '../config/errors.js';
import { SnapshotSchema } from '../config/snapshot-schema.js';
import type { JsonSnapshot } from '../exposition/json.js';
import { type SharedBudget, SourceBudget, admit } from './admission.js';
import { nestsDeeperThan } from './json-depth.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits, MAX_JSON_DEPTH } from './limits.js';
import { type IngestResponse, mergeResponse, refusal } from './response.js';
import { TokenBucket } from './token-bucket.js';

/** Where admitted snapshots go. */
export interface IngestMerger {
  /** Merges an admitted snapshot from `source`; returns how many of its series could not be merged. */
  merge(source: string, snapshot: JsonSnapshot): number;
  /** Drops everything `source` pushed (its series leave the exposition). */
  forget(source: string): void;
}

export interface IngestGateOptions {
  metrics: Metrics;
  merger: IngestMerger;
  limits?: Partial<IngestLimits>;
  /** Label names the collector sets on pushed series (`source`, default labels). */
  reservedLabels?: readonly string[];
  /** Bytes those labels add to each exposed sample line. */
  hostLabelBytes?: number;
  /** Monotonic milliseconds. Default performance.now. */
  now?: () => number;
}

/** Request-level refusals, by reason (`omnimeter_ingest_refused_pushes_total`). */
export type PushRefusal =
  | 'rate_limit'
  | 'source_limit'
  | 'busy'
  | 'too_large'
  | 'too_deep'
  | 'invalid_json'
  | 'invalid_snapshot'
  | 'invalid_source'
  | 'origin'
  | 'unauthorized';

interface Source {
  budget: SourceBudget;
  pushes: TokenBucket;
  lastPushAt: number;
}

const SOURCE = /^[\w.:-]{1,64}$/;
/** Issues of an invalid snapshot listed in the answer; the rest are counted. */
const MAX_ISSUES = 10;

export class IngestGate {
  readonly limits: IngestLimits;
  private readonly sources = new Map<string, Source>();
  private readonly shared: SharedBudget = { bytes: 0 };
  private readonly pushes: TokenBucket;
  private readonly bytes: TokenBucket;
  /** Body bytes received and not yet parsed, over all requests. */
  private buffered = 0;
  private readonly now: () => number;
  private readonly rejected: Counter<'source' | 'reason'>;
  private readonly refusedPushes: Counter<'reason'>;
  private readonly removeHook: () => void;
  private readonly reserved: ReadonlySet<string>;

  constructor(private readonly options: IngestGateOptions) {
    this.limits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
    this.now = options.now ?? (() => performance.now());
    const now = this.now();
    const l = this.limits;
    this.pushes = new TokenBucket(l.pushesPerSecond, 2 * l.pushesPerSecond, now);
    this.bytes = new TokenBucket(l.bytesPerSecond, Math.max(2 * l.bytesPerSecond, 2 * l.maxBytes), now);
    this.reserved = new Set(options.reservedLabels ?? ['source']);
    const m = options.metrics;
    this.rejected = m.counter('omnimeter_ingest_rejected_total', {
      help: 'Pushed updates refused, by source and reason.',
      labelNames: ['source', 'reason'] as const,
    });
    this.refusedPushes = m.counter('omnimeter_ingest_refused_pushes_total', {
      help: 'Pushes refused as a whole before merging (rate limits, size, malformed bodies, origin), by reason.',
      labelNames: ['reason'] as const,
    });
    const sources = m.gauge('omnimeter_ingest_sources', { help: 'Sources whose pushed series the collector holds.' });
    const bytes = m.gauge('omnimeter_ingest_exposition_budget_bytes', {
      help: 'Exposition bytes granted to pushed series (an upper bound of what they add to a scrape).',
      unit: 'bytes',
    });
    // Idle sources also expire when nobody pushes: the sweep runs before every collection.
    this.removeHook = m.registry.addCollectHook('omnimeter_ingest', () => {
      this.sweep();
      sources.set(this.sources.size);
      bytes.set(this.shared.bytes);
    });
  }

  /** Counts a refusal decided outside the gate (origin, credentials, body size). */
  count(reason: PushRefusal): void {
    this.refusedPushes.inc({ reason });
  }

  /**
   * Whether a push from `source` may be read now (rate limits, the source
   * table). Undefined: go ahead; otherwise the answer to send (nothing was read).
   */
  begin(source: string): IngestResponse | undefined {
    const now = this.now();
    this.sweep(now);
    if (!SOURCE.test(source))
      return this.refuse('invalid_source', 400, `source: expected 1-64 of [A-Za-z0-9_.:-], got ${JSON.stringify(source.slice(0, 80))}`);
    const known = this.sources.get(source);
    if (!known && this.sources.size >= this.limits.maxSources)
      return this.refuse(
        'source_limit',
        429,
        `too many sources (limit ${this.limits.maxSources}); idle ones expire`,
        this.limits.sourceIdleMs,
      );
    if (known && !known.pushes.take(now)) return this.refuse('rate_limit', 429, 'this source pushes too often', known.pushes.waitMs(now));
    if (!this.bytes.ready(now)) return this.refuse('rate_limit', 429, 'the collector is receiving too much', this.bytes.waitMs(now));
    if (!this.pushes.take(now))
      return this.refuse('rate_limit', 429, 'the collector is receiving too many pushes', this.pushes.waitMs(now));
    return undefined;
  }

  /**
   * Reserves room for `bytes` more of a body being received; false when the
   * buffered-bytes bound would be exceeded (answer `busy()`). Every byte
   * reserved is given back with `release()` once the body is parsed or dropped.
   */
  reserve(bytes: number): boolean {
    if (this.buffered + bytes > this.limits.maxBufferedBytes) return false;
    this.buffered += bytes;
    return true;
  }

  release(bytes: number): void {
    this.buffered -= bytes;
  }

  /** The answer when `reserve()` refused. */
  busy(): IngestResponse {
    return this.refuse('busy', 503, 'the collector is receiving too many bodies at once', 1000);
  }

  /** Parses, validates, admits and merges one body from `source` (after `begin()`). */
  accept(source: string, text: string): IngestResponse {
    const now = this.now();
    this.bytes.charge(now, text.length);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH))
      return this.refuse('too_deep', 400, `body: nested deeper than ${MAX_JSON_DEPTH}: not a snapshot`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.refuse('invalid_json', 400, 'body: expected JSON');
    }
    const parsed = SnapshotSchema.safeParse(body, { reportInput: true });
    if (!parsed.success) {
      const issues = formatIssues(parsed.error.issues);
      const more = issues.length > MAX_ISSUES ? `\n  (${issues.length - MAX_ISSUES} more issues)` : '';
      return this.refuse('invalid_snapshot', 400, `invalid snapshot:\n  ${issues.slice(0, MAX_ISSUES).join('\n  ')}${more}`);
    }
    if (!this.sources.has(source) && this.sources.size >= this.limits.maxSources)
      return this.refuse(
        'source_limit',
        429,
        `too many sources (limit ${this.limits.maxSources}); idle ones expire`,
        this.limits.sourceIdleMs,
      );
    const s = this.source(source, now);
    const admission = admit(parsed.data as JsonSnapshot, s.budget, this.shared, {
      limits: this.limits,
      reservedLabels: this.reserved,
      hostLabelBytes: this.options.hostLabelBytes ?? 64,
    });
    const refused = new Map<string, number>(admission.refused);
    for (const [reason, n] of admission.refused) this.rejected.inc({ source, reason }, n);
    const unmerged = admission.accepted ? this.options.merger.merge(source, admission.snapshot) : 0;
    if (unmerged) refused.set('not_merged', unmerged); // the merger counted its reasons itself
    return mergeResponse(admission.accepted - unmerged, refused, admission.examples);
  }

  /** Forgets sources idle for longer than the limit. */
  sweep(now = this.now()): void {
    for (const [name, s] of this.sources) {
      if (now - s.lastPushAt < this.limits.sourceIdleMs) continue;
      this.sources.delete(name);
      this.shared.bytes -= s.budget.bytes;
      this.options.merger.forget(name);
    }
  }

  /** Stops expiring sources at collection time. */
  close(): void {
    this.removeHook();
  }

  private source(name: string, now: number): Source {
    let s = this.sources.get(name);
    if (!s) {
      const rate = this.limits.sourcePushesPerSecond;
      s = { budget: new SourceBudget(), pushes: new TokenBucket(rate, Math.max(1, 2 * rate), now), lastPushAt: now };
      s.pushes.take(now); // this push
      this.sources.set(name, s);
    }
    s.lastPushAt = now;
    return s;
  }

  private refuse(reason: PushRefusal, status: number, message: string, retryAfterMs?: number): IngestResponse {
    this.refusedPushes.inc({ reason });
    const headers: Record<string, string> = {};
    if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    return refusal(status, message, headers);
  }
}
