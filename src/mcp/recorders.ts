/**
 * What one session records into, resolved once per distinct attribute set:
 * the hot path (a tools/call received and answered) records six values and
 * builds no attribute object. Through omnimeter's bridge each cached set
 * holds the bound series (no attribute lookup per recording, as with
 * `labels()` handles); through another MeterProvider it holds the attribute
 * object, passed again on each call. Reusing one object is safe: the
 * instruments read attributes when recording and keep nothing (the
 * OpenTelemetry SDK copies).
 *
 * Each cache is bounded (tool names and resource URIs come from the peer):
 * past the bound, attribute sets are built per call, never dropped.
 */
import type { Attributes, Counter, Histogram, UpDownCounter } from '@opentelemetry/api';
import { type BoundCounter, type BoundHistogram, bindCounter, bindHistogram } from '../otel/meter-provider.js';
import type { RoleInstruments, SideInstruments } from './instruments.js';
import { ATTR } from './semconv.js';

/** Distinct sets kept per cache. */
const MAX_SETS = 1024;

/** What an operation is about: at most one of these is set (by its method). */
export interface Target {
  readonly tool: string | undefined;
  readonly prompt: string | undefined;
  readonly uri: string | undefined;
}

export type Direction = 'receive' | 'transmit';
export type Outcome = 'success' | 'tool_error' | 'error';
type Legacy = readonly (readonly [string, string])[];

/** A two-level cache (no key string, no closure built per lookup). */
class Cache<T> {
  private readonly byFirst = new Map<string, Map<string, T>>();
  private size = 0;
  find(first: string, second: string): T | undefined {
    return this.byFirst.get(first)?.get(second);
  }
  /** Keeps `value` unless the cache is full; returns it either way. */
  keep(first: string, second: string, value: T): T {
    if (this.size >= MAX_SETS) return value;
    let inner = this.byFirst.get(first);
    if (inner === undefined) this.byFirst.set(first, (inner = new Map()));
    inner.set(second, value);
    this.size++;
    return value;
  }
  clear(): void {
    this.byFirst.clear();
    this.size = 0;
  }
}

/** The bridge's series for `attributes`, else the instrument with them (any MeterProvider). */
function histogramFor(instrument: Histogram, attributes: Attributes): BoundHistogram {
  return bindHistogram(instrument, attributes) ?? { observe: (value) => instrument.record(value, attributes) };
}

function counterFor(instrument: Counter | UpDownCounter, attributes: Attributes): BoundCounter {
  return bindCounter(instrument, attributes) ?? { inc: (value) => instrument.add(value, attributes) };
}

function withLegacy(attributes: Attributes, legacy: Legacy): Attributes {
  for (const [from, to] of legacy) if (attributes[from] !== undefined) attributes[to] = attributes[from];
  return attributes;
}

/** The operation metrics of one side (`server`: what the peer asked of us; `client`: what we asked). */
export class SideRecorder {
  private base: Attributes = {};
  private readonly durations = new Cache<BoundHistogram>();
  private readonly calls = new Cache<BoundCounter>();
  private readonly active = new Cache<BoundCounter>();

  constructor(
    private readonly instruments: SideInstruments,
    private readonly legacy: Legacy,
    private readonly resourceUriMetrics: boolean,
  ) {}

  /** Attributes every operation carries (protocol versions, transport, peer): operation sets are rebuilt from now on. */
  rebase(base: Attributes): void {
    this.base = base;
    this.durations.clear();
  }

  /** An operation's duration: the set is shared when it succeeded, built for this call when it failed. */
  duration(method: string, target: Target, errorType: string | undefined, rpcCode: string | undefined, seconds: number): void {
    if (errorType !== undefined || rpcCode !== undefined) {
      this.instruments.operationDuration.record(seconds, this.operationAttributes(method, target, errorType, rpcCode));
      return;
    }
    const key = target.tool ?? target.prompt ?? (this.resourceUriMetrics ? target.uri : undefined) ?? '';
    const handle =
      this.durations.find(method, key) ??
      this.durations.keep(
        method,
        key,
        histogramFor(this.instruments.operationDuration, this.operationAttributes(method, target, undefined, undefined)),
      );
    handle.observe(seconds);
  }

  /** Requests in flight by method: +1 when one starts, -1 when it ends. */
  activeRequests(method: string, delta: 1 | -1): void {
    const handle =
      this.active.find(method, '') ??
      this.active.keep(method, '', counterFor(this.instruments.activeRequests, { [ATTR.methodName]: method }));
    handle.inc(delta);
  }

  toolCall(tool: string, outcome: Outcome): void {
    const handle =
      this.calls.find(tool, outcome) ??
      this.calls.keep(
        tool,
        outcome,
        counterFor(this.instruments.toolCalls, withLegacy({ [ATTR.toolName]: tool, [ATTR.outcome]: outcome }, this.legacy)),
      );
    handle.inc(1);
  }

  private operationAttributes(method: string, target: Target, errorType: string | undefined, rpcCode: string | undefined): Attributes {
    const attributes: Attributes = { [ATTR.methodName]: method };
    if (target.tool !== undefined) {
      attributes[ATTR.operationName] = 'execute_tool';
      attributes[ATTR.toolName] = target.tool;
    } else if (target.prompt !== undefined) attributes[ATTR.promptName] = target.prompt;
    if (target.uri !== undefined && this.resourceUriMetrics) attributes[ATTR.resourceUri] = target.uri;
    for (const key in this.base) attributes[key] = this.base[key];
    if (errorType !== undefined) attributes[ATTR.errorType] = errorType;
    if (rpcCode !== undefined) attributes[ATTR.rpcStatusCode] = rpcCode;
    return withLegacy(attributes, this.legacy);
  }
}

/** The message size histogram of the session's role, by method and direction. */
export class SizeRecorder {
  private readonly sizes = new Cache<BoundHistogram>();
  constructor(
    private readonly instruments: RoleInstruments,
    private readonly networkTransport: string | undefined,
  ) {}

  record(method: string, direction: Direction, bytes: number): void {
    const handle = this.sizes.find(method, direction) ?? this.sizes.keep(method, direction, this.bind(method, direction));
    handle.observe(bytes);
  }

  private bind(method: string, direction: Direction): BoundHistogram {
    const attributes: Attributes = { [ATTR.methodName]: method, [ATTR.ioDirection]: direction };
    if (this.networkTransport !== undefined) attributes[ATTR.networkTransport] = this.networkTransport;
    return histogramFor(this.instruments.messageSize, attributes);
  }
}
