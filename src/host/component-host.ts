/**
 * Loads transpiled components, instantiates them against the recorder, and
 * runs their exports under runtime telemetry: invocations by status, their
 * duration, host calls, metric operations per invocation, memory size,
 * optional trace spans (from an injected TracerProvider, never the global)
 * and structured logs that carry the component's sha256 but never payloads.
 * A guest that traps is marked unhealthy and isolated; others carry on.
 * Platform-neutral: components arrive compiled (load-node.ts, load-browser.ts).
 */
import { type Span, SpanStatusCode, type TracerProvider, context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Counter, Gauge, Histogram } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import { type CompiledComponent, type InstantiateCore, coreModules, preinstantiate } from '../component/index.js';
import { type ComponentSettings, DEFAULT_LIMITS, type GuestLimits, GuestSession } from './guest-session.js';

export interface HostOptions {
  /** Where guest metrics and runtime metrics go. */
  metrics: Metrics;
  /**
   * Label names for the component and the instance (default `component` and
   * `component_instance`), or false to leave one out: instances then merge.
   */
  labels?: { component?: string | false; instance?: string | false };
  limits?: Partial<GuestLimits>;
  /**
   * How a gauge several instances write combines when they share a series
   * (instance label off): "last" write wins (default), or their "sum", "max", "min".
   */
  gaugePolicy?: 'last' | 'sum' | 'max' | 'min';
  /**
   * Per-component settings by component name: enabled, extra labels,
   * include/exclude patterns, sampling rate (the configuration's `components`).
   */
  components?: Readonly<Record<string, ComponentSettings>>;
  /** Invocations slower than this are reported with status "timeout". Default 30 s. */
  invocationBudgetMs?: number;
  /** Spans per invocation, with child spans for host calls. Never the global provider. */
  tracerProvider?: TracerProvider;
  /** Structured log records (start, finish, error). Default: none. */
  log?: (record: LogRecord) => void;
  /**
   * Other interfaces components import, by the name jco's glue looks up: WASI
   * from preview2-shim (`new WASIShim({ sandbox: … }).getImportObject()`, in
   * Node and in pages). omnimeter's own recorder always comes from the host.
   */
  imports?: Readonly<Record<string, unknown>>;
}

export interface LogRecord {
  event: 'invocation.start' | 'invocation.finish' | 'invocation.error' | 'component.load' | 'instance.unhealthy';
  component: string;
  sha256: string;
  instance?: string;
  export?: string;
  durationMs?: number;
  hostCalls?: number;
  status?: InvocationStatus;
  error?: string;
  /** The trace the record belongs to (the invocation's span, or the caller's active one), so logs, metrics and traces correlate. */
  trace_id?: string;
  span_id?: string;
}

/** `trace_id` and `span_id` of `span`, or of the active span, when one is valid. */
function traceFields(span: Span | undefined): Pick<LogRecord, 'trace_id' | 'span_id'> {
  const ids = (span ?? trace.getSpan(context.active()))?.spanContext();
  return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

export type InvocationStatus = 'success' | 'error' | 'trap' | 'timeout';

export interface LoadedComponent {
  readonly name: string;
  readonly sha256: string;
  /** Links a new instance. */
  instantiate(instanceName?: string): ComponentInstance;
  /**
   * The same, with the large core modules instantiated asynchronously first:
   * what a page needs for components over 8 MB (componentize-js output), which
   * Chromium will not instantiate synchronously on the main thread.
   */
  instantiateAsync(instanceName?: string): Promise<ComponentInstance>;
}

export interface ComponentInstance {
  readonly component: string;
  readonly instance: string;
  readonly healthy: boolean;
  /** The export names the component offers. */
  readonly exports: readonly string[];
  /** Calls an export (camelCase or kebab-case name) under telemetry. */
  call(exportName: string, ...args: unknown[]): unknown;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Telemetry about the components themselves, registered once per host. */
class RuntimeMetrics {
  readonly compile: Histogram<'component'>;
  readonly instantiate: Histogram<'component'>;
  readonly invocations: Counter<'component' | 'export' | 'status'>;
  readonly duration: Histogram<'component' | 'export'>;
  readonly hostCalls: Counter<'component' | 'import'>;
  readonly hostCallSeconds: Histogram<'component' | 'import'>;
  readonly ops: Histogram<'component' | 'export'>;
  readonly memory: Gauge<'component' | 'component_instance'>;
  readonly healthy: Gauge<'component' | 'component_instance'>;
  readonly rejected: Counter<'component' | 'reason'>;

  constructor(m: Metrics) {
    const fast = [0.0001, 0.001, 0.01, 0.1, 1];
    this.compile = m.histogram('omnimeter_wasm_compile_seconds', {
      help: 'Time to compile a component.',
      labelNames: ['component'],
      unit: 'seconds',
      buckets: fast,
    });
    this.instantiate = m.histogram('omnimeter_wasm_instantiate_seconds', {
      help: 'Time to instantiate a component.',
      labelNames: ['component'],
      unit: 'seconds',
      buckets: fast,
    });
    this.invocations = m.counter('omnimeter_wasm_invocations_total', {
      help: 'Export invocations by outcome (success, error, trap, timeout).',
      labelNames: ['component', 'export', 'status'],
    });
    this.duration = m.histogram('omnimeter_wasm_invocation_seconds', {
      help: 'Duration of export invocations.',
      labelNames: ['component', 'export'],
      unit: 'seconds',
    });
    this.hostCalls = m.counter('omnimeter_wasm_host_calls_total', {
      help: 'Calls from guests into host imports.',
      labelNames: ['component', 'import'],
    });
    this.hostCallSeconds = m.histogram('omnimeter_wasm_host_call_seconds', {
      help: 'Time spent in host imports (registration and flushes; the clock is not timed).',
      labelNames: ['component', 'import'],
      unit: 'seconds',
      buckets: [0.000001, 0.00001, 0.0001, 0.001, 0.01, 0.1],
    });
    this.ops = m.histogram('omnimeter_wasm_metric_operations', {
      help: 'Metric operations applied per invocation.',
      labelNames: ['component', 'export'],
      buckets: [1, 10, 100, 1000, 10000],
    });
    this.memory = m.gauge('omnimeter_wasm_memory_bytes', {
      help: 'Linear memory size of each instance.',
      labelNames: ['component', 'component_instance'],
      unit: 'bytes',
    });
    this.healthy = m.gauge('omnimeter_wasm_instance_healthy', {
      help: '1 while an instance is healthy, 0 once isolated after a trap.',
      labelNames: ['component', 'component_instance'],
    });
    this.rejected = m.counter('omnimeter_wasm_guest_rejected_total', {
      help: 'Guest metric calls refused by the host, by reason.',
      labelNames: ['component', 'reason'],
    });
  }
}

const runtimeByMetrics = new WeakMap<Metrics, RuntimeMetrics>();

export class ComponentHost {
  private readonly runtime: RuntimeMetrics;
  private readonly limits: GuestLimits;
  private readonly componentLabel: string | undefined;
  private readonly instanceLabel: string | undefined;
  private instances = 0;

  constructor(private readonly options: HostOptions) {
    let runtime = runtimeByMetrics.get(options.metrics);
    if (!runtime) runtimeByMetrics.set(options.metrics, (runtime = new RuntimeMetrics(options.metrics)));
    this.runtime = runtime;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const labels = options.labels ?? {};
    this.componentLabel = labels.component === false ? undefined : (labels.component ?? 'component');
    // Not "instance": Prometheus owns that target label and renames ours to exported_instance on scrape.
    this.instanceLabel = labels.instance === false ? undefined : (labels.instance ?? 'component_instance');
  }

  /** Registers a compiled component (readComponent in Node, fetchComponent in a page). */
  load(component: CompiledComponent): LoadedComponent {
    const { name, sha256 } = component;
    this.runtime.compile.observe({ component: name }, component.compileSeconds);
    this.options.log?.({
      event: 'component.load',
      component: name,
      sha256,
      durationMs: component.compileSeconds * 1000,
      ...traceFields(undefined),
    });
    return {
      name,
      sha256,
      instantiate: (instanceName) => this.instantiate(component, instanceName ?? String(++this.instances)),
      instantiateAsync: async (instanceName) =>
        this.instantiate(component, instanceName ?? String(++this.instances), await preinstantiate(component)),
    };
  }

  private instantiate(
    compiled: CompiledComponent,
    instance: string,
    instantiateCore: InstantiateCore = (core, imports) => new WebAssembly.Instance(core, imports),
  ): ComponentInstance {
    const { name: component, sha256, glue } = compiled;
    const runtime = this.runtime;
    const hostCalls = { count: 0 };
    let span: Span | undefined;
    const tracer = this.options.tracerProvider?.getTracer('omnimeter-host');
    const session = new GuestSession({
      metrics: this.options.metrics,
      component,
      instance,
      componentLabel: this.componentLabel,
      instanceLabel: this.instanceLabel,
      limits: this.limits,
      rejected: runtime.rejected,
      gaugePolicy: this.options.gaugePolicy,
      settings: this.options.components?.[component],
    });
    // One wrapper per import counts, times and traces what guests call; the
    // clock is left bare (timers call it twice per measurement).
    const recorder = Object.fromEntries(
      Object.entries(session.imports()).map(([name, fn]) => {
        if (name === 'now') return [name, fn];
        const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        const label = { component, import: kebab };
        return [
          name,
          (...args: never[]) => {
            hostCalls.count++;
            runtime.hostCalls.inc(label);
            const child = span && tracer?.startSpan(`host ${kebab}`, {}, trace.setSpan(context.active(), span));
            const start = performance.now();
            try {
              return fn(...args);
            } finally {
              runtime.hostCallSeconds.observe(label, (performance.now() - start) / 1000);
              child?.end();
            }
          },
        ];
      }),
    );
    const memories: WebAssembly.Memory[] = [];
    const start = performance.now();
    let exportsObject: Record<string, unknown>;
    try {
      exportsObject = glue.instantiate(
        coreModules(compiled),
        // jco names the import with and without the version depending on the release: give both.
        { ...this.options.imports, 'omnimeter:metrics/recorder': recorder, 'omnimeter:metrics/recorder@0.1.0': recorder },
        (core, imports) => {
          const inst = instantiateCore(core, imports);
          for (const value of Object.values(inst.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
          return inst;
        },
      );
    } catch (error) {
      // jco's glue destructures each imported interface: a missing one surfaces as a TypeError here.
      const missing =
        error instanceof TypeError
          ? " Does it import an interface the host was not given? Pass it in HostOptions.imports (WASI: preview2-shim's WASIShim)."
          : '';
      throw new Error(`${component}: cannot instantiate: ${(error as Error).message}.${missing}`, { cause: error });
    }
    runtime.instantiate.observe({ component }, (performance.now() - start) / 1000);
    runtime.healthy.set({ component, component_instance: instance }, 1);
    const memoryBytes = () => memories.reduce((n, m) => n + m.buffer.byteLength, 0);
    runtime.memory.set({ component, component_instance: instance }, memoryBytes());
    const budget = this.options.invocationBudgetMs ?? 30_000;
    const log = this.options.log;

    const call = (exportName: string, ...args: unknown[]): unknown => {
      const fn = exportsObject[camel(exportName)] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn !== 'function') throw new TypeError(`${component} has no export "${exportName}"`);
      if (!session.healthy) throw new Error(`${component} instance ${instance} is unhealthy (it trapped) and is isolated`);
      const labels = { component, export: exportName };
      span = tracer?.startSpan(`${component} ${exportName}`, {
        attributes: { 'wasm.component': component, 'wasm.component.sha256': sha256, 'wasm.instance': instance },
      });
      hostCalls.count = 0;
      const ids = log && traceFields(span);
      log?.({ event: 'invocation.start', component, sha256, instance, export: exportName, ...ids });
      const started = performance.now();
      let status: InvocationStatus = 'success';
      try {
        return fn(...args);
      } catch (error) {
        // A WebAssembly.RuntimeError is a trap: the instance's state can no longer be trusted.
        status = error instanceof WebAssembly.RuntimeError ? 'trap' : 'error';
        if (status === 'trap') {
          session.healthy = false;
          runtime.healthy.set({ component, component_instance: instance }, 0);
          log?.({ event: 'instance.unhealthy', component, sha256, instance, error: (error as Error).message, ...ids });
        }
        log?.({
          event: 'invocation.error',
          component,
          sha256,
          instance,
          export: exportName,
          status,
          error: (error as Error).message,
          ...ids,
        });
        span?.recordException(error as Error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: status });
        throw error;
      } finally {
        const ms = performance.now() - started;
        if (status === 'success' && ms > budget) status = 'timeout';
        runtime.invocations.inc({ ...labels, status });
        runtime.duration.observe(labels, ms / 1000);
        runtime.ops.observe(labels, session.takeOps());
        runtime.memory.set({ component, component_instance: instance }, memoryBytes());
        span?.setAttribute('wasm.host_calls', hostCalls.count);
        span?.end();
        span = undefined;
        log?.({
          event: 'invocation.finish',
          component,
          sha256,
          instance,
          export: exportName,
          durationMs: ms,
          hostCalls: hostCalls.count,
          status,
          ...ids,
        });
      }
    };
    return {
      component,
      instance,
      get healthy() {
        return session.healthy;
      },
      exports: Object.keys(exportsObject),
      call,
    };
  }
}
