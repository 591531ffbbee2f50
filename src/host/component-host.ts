/**
 * Loads transpiled components, instantiates them against the recorder, and
 * runs their exports under runtime telemetry (runtime-metrics.ts): invocations
 * by status, their duration, host and WASI calls, metric operations per
 * invocation, memory, CPU time, optional trace spans (from an injected
 * TracerProvider, never the global) and structured logs that carry the
 * component's sha256 but never payloads. Each instance (instance.ts) is
 * stopped when its guest traps or exceeds its budget, and re-instantiated
 * with backoff; others carry on. Platform-neutral: components arrive
 * compiled (load-node.ts, load-browser.ts).
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Metrics } from '../api/metrics.js';
import { type CompiledComponent, preinstantiate } from '../component/index.js';
import { type ComponentSettings, DEFAULT_LIMITS, type GuestLimits, GuestSession } from './guest-session.js';
import {
  type InstanceContext,
  type InstanceHealth,
  type LogRecord,
  ManagedInstance,
  type RecoveryOptions,
  traceFields,
} from './instance.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { RuntimeSet } from './runtime-set.js';

export type { InstanceHealth, InstanceState, InvocationStatus, LogRecord, RecoveryOptions } from './instance.js';

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
  /**
   * Time budget of one invocation. A metered component (loaded with `meter: true`)
   * is stopped when it runs out (status "timeout"); any other is labelled "timeout"
   * after it returns. Default 30 s.
   */
  invocationBudgetMs?: number;
  /** Steps one invocation of a metered component may take (function entries and loop iterations); then "step_limit". Default unlimited. */
  stepBudget?: number;
  /** Re-instantiation of stopped instances, with backoff; false: a stopped instance stays stopped until reinstantiate(). */
  recovery?: RecoveryOptions | false;
  /** Spans per invocation, with child spans for host calls. Never the global provider. */
  tracerProvider?: TracerProvider;
  /** Structured log records (start, finish, error, stop, recovery). Default: none. */
  log?: (record: LogRecord) => void;
  /**
   * Other interfaces components import, by the name jco's glue looks up: WASI
   * from preview2-shim (`new WASIShim({ sandbox: … }).getImportObject()`, in
   * Node and in pages); their functions are counted and timed. omnimeter's own
   * recorder always comes from the host.
   */
  imports?: Readonly<Record<string, unknown>>;
  /**
   * Serve `wasi:otel/metrics@0.2.0-rc.2` (the WASI observability proposal):
   * a guest's OpenTelemetry metric exports merge like its recorder updates,
   * with the same labels, limits and filters (src/host/wasi-otel.ts). Default false.
   */
  wasiOtel?: boolean;
  /**
   * Also record the component-runtime set of omnimeter/sets
   * (docs/metric-sets.md): load and unload time, memory and CPU time per
   * component, and each invocation as a call from `host` into the component,
   * so a WASM host reports under the names every component runtime shares.
   * The omnimeter_wasm_* families stay. Default false.
   */
  componentRuntimeSet?: boolean;
}

export interface LoadedComponent {
  readonly name: string;
  readonly sha256: string;
  /** Links a new instance. */
  instantiate(instanceName?: string): ComponentInstance;
  /**
   * The same, with the large core modules instantiated asynchronously first:
   * what a page needs for components over 8 MB (componentize-js output), which
   * Chromium will not instantiate synchronously on the main thread.
   * Re-instantiations after a stop take the same path.
   */
  instantiateAsync(instanceName?: string): Promise<ComponentInstance>;
}

export interface ComponentInstance {
  readonly component: string;
  readonly instance: string;
  readonly healthy: boolean;
  /** The export names the component offers (none while stopped). */
  readonly exports: readonly string[];
  /** Calls an export (camelCase or kebab-case name) under telemetry and budgets; throws while the instance is stopped. */
  call(exportName: string, ...args: unknown[]): unknown;
  /** Health state: healthy, stopped (and why, and when the next attempt is due) or closed; recoveries. */
  healthState(): InstanceHealth;
  /** Re-instantiates now, whatever the backoff; resolves with the health after the attempt, never rejects. */
  reinstantiate(): Promise<InstanceHealth>;
  /** Stops the instance for good (no pending re-instantiation). */
  close(): void;
}

const RECOVERY: Required<RecoveryOptions> = { initialDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: Infinity };

/** Process CPU seconds where the platform reports them (Node), without importing a Node module. */
const processCpu = (() => {
  const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage;
  if (typeof usage !== 'function') return undefined;
  return () => {
    const { user, system } = usage();
    return (user + system) / 1e6;
  };
})();

export class ComponentHost {
  private readonly runtime: RuntimeMetrics;
  private readonly set: RuntimeSet | undefined;
  private readonly limits: GuestLimits;
  private readonly componentLabel: string | undefined;
  private readonly instanceLabel: string | undefined;
  private readonly live = new Set<ManagedInstance>();
  private count = 0;

  constructor(private readonly options: HostOptions) {
    this.runtime = RuntimeMetrics.of(options.metrics);
    this.set = options.componentRuntimeSet ? RuntimeSet.of(options.metrics) : undefined;
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
    const next = (instanceName?: string) => instanceName ?? String(++this.count);
    // The compile time belongs to the component's first load; later instances and recoveries only instantiate.
    let compileSeconds = component.compileSeconds;
    const set = this.set && {
      metrics: this.set,
      loadSeconds: (instantiateSeconds: number) => {
        const seconds = compileSeconds + instantiateSeconds;
        compileSeconds = 0;
        return seconds;
      },
    };
    return {
      name,
      sha256,
      instantiate: (instanceName) => {
        const instance = next(instanceName);
        return this.track(ManagedInstance.create(this.context(component, instance, set), instance));
      },
      instantiateAsync: async (instanceName) => {
        const instance = next(instanceName);
        const prepare = () => preinstantiate(component);
        return this.track(ManagedInstance.create(this.context(component, instance, set, prepare), instance, await prepare()));
      },
    };
  }

  /** Every instance this host made and has not closed, for health checks. */
  instances(): readonly ComponentInstance[] {
    return [...this.live].filter((i) => i.healthState().state !== 'closed');
  }

  /** Closes every instance: pending re-instantiations are cancelled, sessions end (their data stays). */
  close(): void {
    for (const instance of this.live) instance.close();
    this.live.clear();
  }

  private track(instance: ManagedInstance): ComponentInstance {
    this.live.add(instance);
    return instance;
  }

  private context(
    compiled: CompiledComponent,
    instance: string,
    set: InstanceContext['set'],
    prepare?: InstanceContext['prepare'],
  ): InstanceContext {
    const o = this.options;
    return {
      compiled,
      name: compiled.name,
      runtime: this.runtime,
      set,
      newSession: () =>
        new GuestSession({
          metrics: o.metrics,
          component: compiled.name,
          instance,
          componentLabel: this.componentLabel,
          instanceLabel: this.instanceLabel,
          limits: this.limits,
          rejected: this.runtime.rejected,
          gaugePolicy: o.gaugePolicy,
          settings: o.components?.[compiled.name],
        }),
      imports: o.imports ?? {},
      wasiOtel: o.wasiOtel,
      prepare,
      budgetMs: o.invocationBudgetMs ?? 30_000,
      stepBudget: o.stepBudget ?? Infinity,
      recovery: o.recovery === false ? false : { ...RECOVERY, ...o.recovery },
      tracer: o.tracerProvider?.getTracer('omnimeter-host'),
      log: o.log,
      cpuSeconds: processCpu,
    };
  }
}
