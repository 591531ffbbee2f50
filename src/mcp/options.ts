/**
 * Options of `instrumentServer` / `instrumentClient`, checked once with
 * errors that name the option and the value, and the include/exclude rules
 * compiled to one memoized decision per method and tool.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Metrics } from '../api/metrics.js';
import { globToRegExp } from '../exposition/name-patterns.js';
import { createMeterProvider } from '../otel/meter-provider.js';
import { DEFAULT_LEGACY_ATTRIBUTES } from './semconv.js';

/** Matches an operation: every field given must match (`*` is any run of characters). */
export interface McpRule {
  /** The JSON-RPC method, `tools/call`, `notifications/*`. */
  method?: string;
  /** The tool name of a `tools/call` (operations without a tool never match a rule that names one). */
  tool?: string;
}

export interface McpInstrumentationOptions {
  /** An omnimeter instance: metrics are recorded into it (through `omnimeter/otel`'s MeterProvider). */
  metrics?: Metrics;
  /** Or any OpenTelemetry MeterProvider (the OpenTelemetry SDK's, for example). Never the global one. */
  meterProvider?: MeterProvider;
  /** Spans, and trace context through `params._meta`. Never the global provider. */
  tracerProvider?: TracerProvider;
  /** Only operations matching one of these rules are recorded. Default: all. */
  include?: readonly McpRule[];
  /** Operations matching one of these are not recorded (no metrics, no span, no context injected). */
  exclude?: readonly McpRule[];
  /**
   * Also write legacy attribute names next to the conventions' ones, for
   * dashboards built before them: true adds `tool_name` next to
   * `gen_ai.tool.name`; a map names your own (`{ 'gen_ai.tool.name': 'tool' }`).
   */
  legacyAttributes?: boolean | Readonly<Record<string, string>>;
  /** Add the opt-in `mcp.resource.uri` to operation metrics (it is always on spans). High cardinality. Default false. */
  resourceUriMetrics?: boolean;
  /** Record `gen_ai.tool.call.arguments` on tools/call spans (opt-in: may hold sensitive data). Default false. */
  recordToolArguments?: boolean;
  /** Record `gen_ai.tool.call.result` on tools/call spans (opt-in: may hold sensitive data). Default false. */
  recordToolResults?: boolean;
  /**
   * Record message sizes: the UTF-8 bytes of each message as JSON.stringify writes it, counted by
   * walking the message (json-size.ts), not by serializing it again. Default true.
   */
  messageSizes?: boolean;
  /**
   * `network.transport` of the sessions: detected from the transport class
   * (`pipe` for stdio, `tcp` for Streamable HTTP and SSE); set it for other
   * transports, or false to leave it out.
   */
  networkTransport?: string | false;
}

export interface ResolvedOptions {
  readonly meterProvider: MeterProvider | undefined;
  readonly tracerProvider: TracerProvider | undefined;
  readonly legacy: readonly (readonly [string, string])[];
  readonly resourceUriMetrics: boolean;
  readonly recordToolArguments: boolean;
  readonly recordToolResults: boolean;
  readonly messageSizes: boolean;
  readonly networkTransport: string | false | undefined;
  /** Whether an operation of this method (and tool) is recorded. */
  readonly selected: (method: string, tool: string | undefined) => boolean;
}

function fail(path: string, expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? JSON.stringify(value) : String(value);
  throw new TypeError(`omnimeter/mcp: ${path}: expected ${expected}, got ${shown}`);
}

function checkBoolean(options: McpInstrumentationOptions, key: keyof McpInstrumentationOptions): boolean | undefined {
  const value = options[key];
  if (value !== undefined && typeof value !== 'boolean') fail(key, 'a boolean', value);
  return value as boolean | undefined;
}

type Matcher = (method: string, tool: string | undefined) => boolean;

function compileRules(name: 'include' | 'exclude', rules: unknown): Matcher[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) fail(name, 'an array of { method?, tool? } rules', rules);
  return rules.map((rule, i) => {
    const path = `${name}[${i}]`;
    if (typeof rule !== 'object' || rule === null) fail(path, 'an object { method?, tool? }', rule);
    const { method, tool, ...rest } = rule as McpRule;
    const extra = Object.keys(rest);
    if (extra.length > 0)
      fail(`${path}.${extra[0]}`, 'no such key (rules have method and tool)', (rest as Record<string, unknown>)[extra[0]!]);
    if (method !== undefined && typeof method !== 'string') fail(`${path}.method`, 'a string pattern', method);
    if (tool !== undefined && typeof tool !== 'string') fail(`${path}.tool`, 'a string pattern', tool);
    if (method === undefined && tool === undefined) fail(path, 'a rule naming a method or a tool', rule);
    const methodRe = method === undefined ? undefined : globToRegExp(method);
    const toolRe = tool === undefined ? undefined : globToRegExp(tool);
    return (m, t) => (methodRe === undefined || methodRe.test(m)) && (toolRe === undefined || (t !== undefined && toolRe.test(t)));
  });
}

/** Decisions memoized per method and tool (both come from a small set in practice; the memo is bounded anyway). */
function selector(include: Matcher[], exclude: Matcher[]): (method: string, tool: string | undefined) => boolean {
  if (include.length === 0 && exclude.length === 0) return () => true;
  const memo = new Map<string, boolean>();
  return (method, tool) => {
    const key = tool === undefined ? method : `${method}\u0000${tool}`;
    let verdict = memo.get(key);
    if (verdict === undefined) {
      verdict = (include.length === 0 || include.some((r) => r(method, tool))) && !exclude.some((r) => r(method, tool));
      if (memo.size < 4096) memo.set(key, verdict);
    }
    return verdict;
  };
}

/**
 * One MeterProvider per omnimeter instance, however many servers and clients
 * record into it: the Node instance's own (`metrics.meterProvider`: injected
 * with createMetrics({ meterProvider }), or its bridge), else a bridge.
 */
const bridges = new WeakMap<Metrics, MeterProvider>();
function bridgeOf(metrics: Metrics): MeterProvider {
  const own = (metrics as Metrics & { meterProvider?: MeterProvider }).meterProvider;
  if (own) return own;
  let provider = bridges.get(metrics);
  if (!provider) bridges.set(metrics, (provider = createMeterProvider(metrics)));
  return provider;
}

export function resolveOptions(options: McpInstrumentationOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  const { metrics, meterProvider, tracerProvider } = options;
  if (metrics !== undefined && meterProvider !== undefined)
    fail('metrics', 'either metrics or meterProvider, not both', '{ metrics, meterProvider }');
  if (metrics !== undefined && (typeof metrics !== 'object' || typeof metrics.histogram !== 'function'))
    fail('metrics', 'an omnimeter Metrics instance', metrics);
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') fail('meterProvider', 'a MeterProvider', meterProvider);
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function')
    fail('tracerProvider', 'a TracerProvider', tracerProvider);
  const legacyOption = options.legacyAttributes;
  let legacy: [string, string][] = [];
  if (legacyOption === true) legacy = Object.entries(DEFAULT_LEGACY_ATTRIBUTES);
  else if (typeof legacyOption === 'object' && legacyOption !== null) {
    legacy = Object.entries(legacyOption);
    for (const [key, value] of legacy)
      if (typeof value !== 'string' || value === '') fail(`legacyAttributes.${key}`, 'a label name', value);
  } else if (legacyOption !== undefined && legacyOption !== false)
    fail('legacyAttributes', 'a boolean or a map of attribute names', legacyOption);
  const transport = options.networkTransport;
  if (transport !== undefined && transport !== false && (typeof transport !== 'string' || transport === ''))
    fail('networkTransport', 'a network.transport value (pipe, tcp, quic, unix, ...) or false', transport);
  return {
    // Disabled metrics record nothing: no meter at all, so the hot path skips every instrument.
    meterProvider: metrics !== undefined ? (metrics.enabled ? bridgeOf(metrics) : undefined) : meterProvider,
    tracerProvider,
    legacy,
    resourceUriMetrics: checkBoolean(options, 'resourceUriMetrics') ?? false,
    recordToolArguments: checkBoolean(options, 'recordToolArguments') ?? false,
    recordToolResults: checkBoolean(options, 'recordToolResults') ?? false,
    messageSizes: checkBoolean(options, 'messageSizes') ?? true,
    networkTransport: transport,
    selected: selector(compileRules('include', options.include), compileRules('exclude', options.exclude)),
  };
}
