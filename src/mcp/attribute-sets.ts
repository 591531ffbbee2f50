/**
 * The metric attribute objects of one session, built once per distinct set
 * and reused: the hot path (a tools/call received and answered) records four
 * series and builds no attribute object. Reusing is safe: the instruments
 * read attributes when recording and keep nothing (omnimeter's bridge looks
 * series up by key order and values; the OpenTelemetry SDK copies).
 *
 * Each cache is bounded (tool names and resource URIs come from the peer):
 * past the bound, sets are built per call as before, never dropped.
 */
import type { Attributes } from '@opentelemetry/api';
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

/** A two-level cache (no key string, no closure built per lookup). */
class Sets {
  private readonly byFirst = new Map<string, Map<string, Attributes>>();
  private size = 0;
  find(first: string, second: string): Attributes | undefined {
    return this.byFirst.get(first)?.get(second);
  }
  keep(first: string, second: string, attributes: Attributes): Attributes {
    if (this.size >= MAX_SETS) return attributes;
    let inner = this.byFirst.get(first);
    if (inner === undefined) this.byFirst.set(first, (inner = new Map()));
    inner.set(second, attributes);
    this.size++;
    return attributes;
  }
  clear(): void {
    this.byFirst.clear();
    this.size = 0;
  }
}

export class AttributeSets {
  private base: Attributes = {};
  private readonly operations = new Sets();
  private readonly sizes = new Sets();
  private readonly calls = new Sets();
  private readonly active = new Sets();

  constructor(
    /** Legacy names written next to the conventions' ones ([from, to] pairs). */
    private readonly legacy: readonly (readonly [string, string])[],
    private readonly resourceUriMetrics: boolean,
    private readonly networkTransport: string | undefined,
  ) {}

  /** Attributes every operation carries (protocol versions, transport, peer): operation sets are rebuilt from now on. */
  rebase(base: Attributes): void {
    this.base = base;
    this.operations.clear();
  }

  /** An operation's attributes: shared when it succeeded, built for this call when it failed. */
  operation(method: string, target: Target, errorType: string | undefined, rpcCode: string | undefined): Attributes {
    if (errorType === undefined && rpcCode === undefined) {
      const key = target.tool ?? target.prompt ?? (this.resourceUriMetrics ? target.uri : undefined) ?? '';
      return (
        this.operations.find(method, key) ?? this.operations.keep(method, key, this.buildOperation(method, target, undefined, undefined))
      );
    }
    return this.buildOperation(method, target, errorType, rpcCode);
  }

  private buildOperation(method: string, target: Target, errorType: string | undefined, rpcCode: string | undefined): Attributes {
    const attributes: Attributes = { [ATTR.methodName]: method };
    if (target.tool !== undefined) {
      attributes[ATTR.operationName] = 'execute_tool';
      attributes[ATTR.toolName] = target.tool;
    } else if (target.prompt !== undefined) attributes[ATTR.promptName] = target.prompt;
    if (target.uri !== undefined && this.resourceUriMetrics) attributes[ATTR.resourceUri] = target.uri;
    for (const key in this.base) attributes[key] = this.base[key];
    if (errorType !== undefined) attributes[ATTR.errorType] = errorType;
    if (rpcCode !== undefined) attributes[ATTR.rpcStatusCode] = rpcCode;
    return this.withLegacy(attributes);
  }

  /** The tool-call counter's attributes. */
  toolCall(tool: string, outcome: Outcome): Attributes {
    return (
      this.calls.find(tool, outcome) ?? this.calls.keep(tool, outcome, this.withLegacy({ [ATTR.toolName]: tool, [ATTR.outcome]: outcome }))
    );
  }

  /** The in-flight counter's attributes. */
  activeRequest(method: string): Attributes {
    return this.active.find(method, '') ?? this.active.keep(method, '', { [ATTR.methodName]: method });
  }

  /** The message size histogram's attributes. */
  messageSize(method: string, direction: Direction): Attributes {
    const found = this.sizes.find(method, direction);
    if (found !== undefined) return found;
    const attributes: Attributes = { [ATTR.methodName]: method, [ATTR.ioDirection]: direction };
    if (this.networkTransport !== undefined) attributes[ATTR.networkTransport] = this.networkTransport;
    return this.sizes.keep(method, direction, attributes);
  }

  private withLegacy(attributes: Attributes): Attributes {
    for (const [from, to] of this.legacy) if (attributes[from] !== undefined) attributes[to] = attributes[from];
    return attributes;
  }
}
