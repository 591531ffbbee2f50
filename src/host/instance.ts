/**
 * One component instance under the host: it runs exports under telemetry
 * and budgets, and it survives its guest. A guest that traps, or is stopped
 * for its time or step budget, leaves its instance in a state nobody can
 * trust: the instance is stopped, then re-instantiated (a fresh incarnation:
 * new memory, new recorder session, same labels) after a backoff that
 * doubles on each failed attempt. Its health and a re-instantiate entry
 * point are public, for health checks and recovery actions.
 */
import { type Span, SpanStatusCode, type Tracer, context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { CompiledComponent, InstantiateCore } from '../component/index.js';
import { BudgetExceeded, Budget } from './budget.js';
import type { GuestSession } from './guest-session.js';
import { type Linked, link } from './link.js';
import type { RuntimeMetrics } from './runtime-metrics.js';
import type { RuntimeSet } from './runtime-set.js';
import { kebab, timeWasi, timed } from './timed-imports.js';
import { OtelMetricsSink, WASI_OTEL_METRICS } from './wasi-otel.js';

export type InvocationStatus = 'success' | 'error' | 'trap' | 'timeout' | 'step_limit';

/** healthy: serving calls; stopped: waiting to be re-instantiated; closed: the host was closed. */
export type InstanceState = 'healthy' | 'stopped' | 'closed';

export interface InstanceHealth {
  readonly state: InstanceState;
  /** The status of the last invocation. */
  readonly lastStatus?: InvocationStatus;
  /** Why it was stopped, or why the last re-instantiation failed. */
  readonly lastError?: string;
  /** Date.now() when the state last changed. */
  readonly since: number;
  /** Re-instantiations attempted and succeeded over the instance's life. */
  readonly recoveries: { readonly attempts: number; readonly successes: number };
  /** Date.now() of the next automatic attempt while stopped (absent with recovery off or attempts exhausted). */
  readonly retryAt?: number;
}

export interface RecoveryOptions {
  /** First delay before re-instantiating; doubles after each failed attempt. Default 1000 ms. */
  initialDelayMs?: number;
  /** Ceiling of the delay. Default 60 s. */
  maxDelayMs?: number;
  /** Automatic attempts in a row before giving up (reinstantiate() still works). Default unlimited. */
  maxAttempts?: number;
}

export interface LogRecord {
  event: 'invocation.start' | 'invocation.finish' | 'invocation.error' | 'component.load' | 'instance.unhealthy' | 'instance.recovered';
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
export function traceFields(span: Span | undefined): Pick<LogRecord, 'trace_id' | 'span_id'> {
  const ids = (span ?? trace.getSpan(context.active()))?.spanContext();
  return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/** What an instance needs from its host. */
export interface InstanceContext {
  readonly compiled: CompiledComponent;
  readonly name: string;
  readonly runtime: RuntimeMetrics;
  /**
   * The component-runtime set of omnimeter/sets, when the host records it;
   * `loadSeconds` turns an instantiation's seconds into the load time (the
   * component's compile time is added to its first instantiation only).
   */
  readonly set?: { readonly metrics: RuntimeSet; loadSeconds(instantiateSeconds: number): number };
  /** A recorder session for a new incarnation (same labels every time). */
  newSession(): GuestSession;
  readonly imports: Readonly<Record<string, unknown>>;
  /** Serve `wasi:otel/metrics` to the guest, into its recorder session. */
  readonly wasiOtel?: boolean;
  /** Pre-instantiates core modules (pages, large modules); absent: synchronous. */
  readonly prepare?: () => Promise<InstantiateCore>;
  readonly budgetMs: number;
  readonly stepBudget: number;
  readonly recovery: Required<RecoveryOptions> | false;
  readonly tracer?: Tracer;
  readonly log?: (record: LogRecord) => void;
  /** Process CPU seconds so far, where the platform reports it. */
  readonly cpuSeconds?: () => number;
}

/** The least time a start function (instantiation) is given, whatever the invocation budget. */
const START_BUDGET_MS = 5_000;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

interface Incarnation extends Linked {
  readonly session: GuestSession;
}

export class ManagedInstance {
  readonly component: string;
  private current: Incarnation | undefined;
  private readonly budget = new Budget(() => this.sampleMemory());
  private readonly labels: { component: string; component_instance: string };
  private span: Span | undefined;
  private hostCalls = 0;
  private peak = 0;
  private lastSize = 0;
  private health: { -readonly [K in keyof InstanceHealth]: InstanceHealth[K] } = {
    state: 'healthy',
    since: Date.now(),
    recoveries: { attempts: 0, successes: 0 },
  };
  private readonly recoveries = { attempts: 0, successes: 0 };
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly ctx: InstanceContext,
    readonly instance: string,
  ) {
    this.component = ctx.compiled.name;
    this.labels = { component: this.component, component_instance: instance };
  }

  static create(ctx: InstanceContext, instance: string, core?: InstantiateCore): ManagedInstance {
    const managed = new ManagedInstance(ctx, instance);
    managed.incarnate(core);
    return managed;
  }

  get healthy(): boolean {
    return this.health.state === 'healthy';
  }

  get exports(): readonly string[] {
    return Object.keys(this.current?.exports ?? {});
  }

  /** The instance's health, for health checks. */
  healthState(): InstanceHealth {
    return { ...this.health, recoveries: { ...this.recoveries } };
  }

  /** Links a new incarnation; throws if the component cannot be instantiated. */
  private incarnate(core?: InstantiateCore): void {
    const { compiled, runtime } = this.ctx;
    const session = this.ctx.newSession();
    // Start functions run under a time budget, not the step budget (which is per invocation). Not the
    // invocation's: linking compiles lazily and, on a loaded machine, took over 150 ms for a 17 KB guest.
    this.budget.begin(Math.max(this.ctx.budgetMs, START_BUDGET_MS), Infinity);
    const start = performance.now();
    try {
      const linked = link({
        compiled,
        recorder: this.recorder(session),
        imports: this.wasi(session),
        refill: this.budget.refill,
        instantiateCore: core,
      });
      this.current = { ...linked, session };
    } catch (error) {
      session.close();
      throw error;
    }
    const seconds = (performance.now() - start) / 1000;
    runtime.instantiate.observe({ component: this.component }, seconds);
    this.ctx.set?.metrics.loaded(this.component, this.ctx.set.loadSeconds(seconds));
    this.lastSize = 0;
    this.sampleMemory();
    this.setState('healthy');
  }

  /** The recorder import object, each function counted, timed and traced (the clock is left bare: timers call it twice per measurement). */
  private recorder(session: GuestSession): Record<string, unknown> {
    const { runtime, tracer } = this.ctx;
    const entries = Object.entries(session.imports());
    const names = entries.map(([name]) => kebab(name));
    const labels = names.map((name) => ({ component: this.component, import: name }));
    const observe = (i: number, seconds: number) => {
      this.hostCalls++;
      runtime.hostCalls.inc(labels[i]!);
      runtime.hostCallSeconds.observe(labels[i]!, seconds);
    };
    return Object.fromEntries(
      entries.map(([name, fn], i) => {
        if (name === 'now') return [name, fn];
        const call = timed(fn, i, observe);
        if (!tracer) return [name, call];
        return [
          name,
          (...args: never[]) => {
            const child = this.span && tracer.startSpan(`host ${names[i]}`, {}, trace.setSpan(context.active(), this.span));
            try {
              return call(...args);
            } finally {
              child?.end();
            }
          },
        ];
      }),
    );
  }

  /** WASI imports, wasi:otel's bound to this incarnation's session, every function counted and timed. */
  private wasi(session: GuestSession): Record<string, unknown> {
    const { runtime } = this.ctx;
    let imports = this.ctx.imports;
    if (this.ctx.wasiOtel) {
      const otel = new OtelMetricsSink(session).imports();
      imports = { ...imports, [WASI_OTEL_METRICS]: otel, [WASI_OTEL_METRICS.replace(/@.*/, '')]: otel };
    }
    return timeWasi(imports, (iface, fn, seconds) => {
      const labels = { component: this.component, interface: iface, function: fn };
      runtime.wasiCalls.inc(labels);
      runtime.wasiCallSeconds.observe(labels, seconds);
    });
  }

  /** Memory size, growth seen since the last look, and the peak. */
  private sampleMemory(): void {
    const memories = this.current?.memories ?? [];
    let size = 0;
    for (const m of memories) size += m.buffer.byteLength;
    const { runtime } = this.ctx;
    if (size > this.lastSize && this.lastSize > 0) runtime.memoryGrowth.inc(this.labels);
    this.lastSize = size;
    runtime.memory.set(this.labels, size);
    this.ctx.set?.metrics.memory(this.component, this.instance, size);
    if (size > this.peak) runtime.memoryPeak.set(this.labels, (this.peak = size));
  }

  private setState(state: InstanceState, error?: string): void {
    this.health.state = state;
    this.health.since = Date.now();
    this.health.lastError = error;
    this.ctx.runtime.healthy.set(this.labels, state === 'healthy' ? 1 : 0);
  }

  /** Calls an export (camelCase or kebab-case name) under telemetry and budgets. */
  call(exportName: string, ...args: unknown[]): unknown {
    const current = this.current;
    const key = typeof exportName === 'string' ? camel(exportName) : '';
    // Own properties only: `toString` or `constructor` are Object.prototype's, not the component's.
    const fn = (current && Object.hasOwn(current.exports, key) ? current.exports[key] : undefined) as
      | ((...a: unknown[]) => unknown)
      | undefined;
    if (this.health.state !== 'healthy' || !current) {
      const when = this.health.retryAt === undefined ? '' : `; re-instantiation due at ${new Date(this.health.retryAt).toISOString()}`;
      throw new Error(`${this.component} instance ${this.instance} is unhealthy (${this.health.lastError ?? this.health.state})${when}`);
    }
    if (typeof fn !== 'function') throw new TypeError(`${this.component} has no export "${exportName}"`);
    const { runtime, log, compiled } = this.ctx;
    const { sha256 } = compiled;
    const labels = { component: this.component, export: exportName };
    this.span = this.ctx.tracer?.startSpan(`${this.component} ${exportName}`, {
      attributes: { 'wasm.component': this.component, 'wasm.component.sha256': sha256, 'wasm.instance': this.instance },
    });
    this.hostCalls = 0;
    for (const fuel of current.fuels) fuel.value = 0;
    const ids = log && traceFields(this.span);
    log?.({ event: 'invocation.start', component: this.component, sha256, instance: this.instance, export: exportName, ...ids });
    const cpuStart = this.ctx.cpuSeconds?.();
    const started = performance.now();
    // The budget and the measured duration start at the same instant.
    this.budget.begin(this.ctx.budgetMs, this.ctx.stepBudget, started);
    let status: InvocationStatus = 'success';
    try {
      return fn(...args);
    } catch (error) {
      status = statusOf(error);
      const message = (error as Error).message;
      if (status !== 'error') this.stop(status, message);
      log?.({
        event: 'invocation.error',
        component: this.component,
        sha256,
        instance: this.instance,
        export: exportName,
        status,
        error: message,
      });
      this.span?.recordException(error as Error);
      this.span?.setStatus({ code: SpanStatusCode.ERROR, message: status });
      throw error;
    } finally {
      const ms = performance.now() - started;
      // An unmetered guest cannot be stopped: over its budget, it is labelled.
      if (status === 'success' && ms > this.ctx.budgetMs) status = 'timeout';
      this.health.lastStatus = status;
      runtime.invocations.inc({ ...labels, status });
      runtime.duration.observe(labels, ms / 1000);
      runtime.ops.observe(labels, current.session.takeOps());
      const cpu = cpuStart === undefined ? undefined : Math.max(0, this.ctx.cpuSeconds!() - cpuStart);
      if (cpu !== undefined) runtime.cpu.inc({ component: this.component }, cpu);
      this.ctx.set?.metrics.invoked(this.component, ms / 1000, status === 'success', cpu);
      this.sampleMemory();
      this.span?.setAttribute('wasm.host_calls', this.hostCalls);
      this.span?.end();
      this.span = undefined;
      const finish = { export: exportName, durationMs: ms, hostCalls: this.hostCalls, status };
      log?.({ event: 'invocation.finish', component: this.component, sha256, instance: this.instance, ...finish, ...ids });
    }
  }

  /** The incarnation can no longer be trusted: drop it, and schedule a new one. */
  private stop(status: InvocationStatus, message: string, ids?: Pick<LogRecord, 'trace_id' | 'span_id'>): void {
    this.current?.session.close();
    this.current = undefined;
    this.setState('stopped', `${status}: ${message}`);
    const { log, compiled } = this.ctx;
    log?.({
      event: 'instance.unhealthy',
      component: this.component,
      sha256: compiled.sha256,
      instance: this.instance,
      status,
      error: message,
    });
    this.schedule();
  }

  private schedule(): void {
    const recovery = this.ctx.recovery;
    if (!recovery || this.failures >= recovery.maxAttempts) return void (this.health.retryAt = undefined);
    const delay = Math.min(recovery.maxDelayMs, recovery.initialDelayMs * 2 ** this.failures);
    this.health.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.reinstantiate(), delay);
    // A stopped guest must not keep a process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Re-instantiates now (a recovery action), whatever the backoff says.
   * Resolves with the health after the attempt; never rejects.
   */
  async reinstantiate(): Promise<InstanceHealth> {
    if (this.health.state === 'closed') return this.healthState();
    clearTimeout(this.timer);
    this.health.retryAt = undefined;
    const { runtime } = this.ctx;
    this.recoveries.attempts++;
    runtime.recoveryAttempts.inc({ component: this.component });
    try {
      const core = this.ctx.prepare ? await this.ctx.prepare() : undefined;
      this.current?.session.close();
      this.current = undefined;
      this.incarnate(core);
      this.failures = 0;
      this.recoveries.successes++;
      runtime.recoveries.inc({ component: this.component });
      const { log, compiled } = this.ctx;
      log?.({ event: 'instance.recovered', component: this.component, sha256: compiled.sha256, instance: this.instance });
    } catch (error) {
      this.failures++;
      this.setState('stopped', `re-instantiation failed: ${(error as Error).message}`);
      this.schedule();
    }
    return this.healthState();
  }

  /** Ends the instance: no more calls, no pending re-instantiation. */
  close(): void {
    if (this.health.state === 'closed') return;
    const start = performance.now();
    clearTimeout(this.timer);
    this.current?.session.close();
    this.current = undefined;
    this.health.retryAt = undefined;
    this.setState('closed');
    this.ctx.set?.metrics.unloaded(this.component, this.instance, (performance.now() - start) / 1000);
  }
}

function statusOf(error: unknown): InvocationStatus {
  if (error instanceof BudgetExceeded) return error.status;
  // A WebAssembly.RuntimeError is a trap: the instance's state can no longer be trusted.
  if (error instanceof WebAssembly.RuntimeError) return 'trap';
  // V8 reports a guest's stack overflow as a RangeError; the Component Model (and Wasmtime) call it a trap.
  return error instanceof RangeError && /call stack size/i.test(error.message) ? 'trap' : 'error';
}
