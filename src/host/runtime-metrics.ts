/**
 * Telemetry about the components themselves, registered once per Metrics:
 * compile and instantiate time, invocations by status and their duration,
 * host and WASI calls, memory (size, observed growth, peak), CPU time,
 * health and recovery.
 */
import type { Counter, Gauge, Histogram } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';

type Instance = 'component' | 'component_instance';

export class RuntimeMetrics {
  readonly compile: Histogram<'component'>;
  readonly instantiate: Histogram<'component'>;
  readonly invocations: Counter<'component' | 'export' | 'status'>;
  readonly duration: Histogram<'component' | 'export'>;
  readonly hostCalls: Counter<'component' | 'import'>;
  readonly hostCallSeconds: Histogram<'component' | 'import'>;
  readonly wasiCalls: Counter<'component' | 'interface' | 'function'>;
  readonly wasiCallSeconds: Histogram<'component' | 'interface' | 'function'>;
  readonly ops: Histogram<'component' | 'export'>;
  readonly memory: Gauge<Instance>;
  readonly memoryPeak: Gauge<Instance>;
  readonly memoryGrowth: Counter<Instance>;
  readonly cpu: Counter<'component'>;
  readonly healthy: Gauge<Instance>;
  readonly recoveryAttempts: Counter<'component'>;
  readonly recoveries: Counter<'component'>;
  readonly rejected: Counter<'component' | 'reason'>;

  private static readonly byMetrics = new WeakMap<Metrics, RuntimeMetrics>();

  /** One set per Metrics: several hosts on one registry share the families. */
  static of(m: Metrics): RuntimeMetrics {
    let runtime = RuntimeMetrics.byMetrics.get(m);
    if (!runtime) RuntimeMetrics.byMetrics.set(m, (runtime = new RuntimeMetrics(m)));
    return runtime;
  }

  private constructor(m: Metrics) {
    const fast = [0.0001, 0.001, 0.01, 0.1, 1];
    const calls = [0.000001, 0.00001, 0.0001, 0.001, 0.01, 0.1];
    const instance: Instance[] = ['component', 'component_instance'];
    this.compile = m.histogram('omnimeter_wasm_compile_seconds', {
      help: 'Time to compile a component.',
      labelNames: ['component'],
      unit: 'seconds',
      buckets: fast,
    });
    this.instantiate = m.histogram('omnimeter_wasm_instantiate_seconds', {
      help: 'Time to instantiate a component (first instantiation and recoveries).',
      labelNames: ['component'],
      unit: 'seconds',
      buckets: fast,
    });
    this.invocations = m.counter('omnimeter_wasm_invocations_total', {
      help: 'Export invocations by outcome (success, error, trap, timeout, step_limit).',
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
      buckets: calls,
    });
    this.wasiCalls = m.counter('omnimeter_wasm_wasi_calls_total', {
      help: 'Calls from guests into WASI functions, by interface and function.',
      labelNames: ['component', 'interface', 'function'],
    });
    this.wasiCallSeconds = m.histogram('omnimeter_wasm_wasi_call_seconds', {
      help: 'Time spent in WASI functions, by interface and function.',
      labelNames: ['component', 'interface', 'function'],
      unit: 'seconds',
      buckets: calls,
    });
    this.ops = m.histogram('omnimeter_wasm_metric_operations', {
      help: 'Metric operations applied per invocation.',
      labelNames: ['component', 'export'],
      buckets: [1, 10, 100, 1000, 10000],
    });
    this.memory = m.gauge('omnimeter_wasm_memory_bytes', {
      help: 'Linear memory size of each instance.',
      labelNames: instance,
      unit: 'bytes',
    });
    this.memoryPeak = m.gauge('omnimeter_wasm_memory_peak_bytes', {
      help: 'Largest linear memory size each instance was seen with (at instantiation, meter refills and invocation ends).',
      labelNames: instance,
      unit: 'bytes',
    });
    this.memoryGrowth = m.counter('omnimeter_wasm_memory_growths_total', {
      help: 'Linear memory growths seen (several memory.grow between two observations count once).',
      labelNames: instance,
    });
    this.cpu = m.counter('omnimeter_wasm_cpu_seconds_total', {
      help: 'Process CPU time (user + system) spent during invocations, where the platform reports it (Node: yes; pages: no).',
      labelNames: ['component'],
      unit: 'seconds',
    });
    this.healthy = m.gauge('omnimeter_wasm_instance_healthy', {
      help: '1 while an instance is healthy, 0 while stopped after a trap, timeout or step limit until re-instantiated.',
      labelNames: instance,
    });
    this.recoveryAttempts = m.counter('omnimeter_wasm_recovery_attempts_total', {
      help: 'Re-instantiations of stopped instances attempted.',
      labelNames: ['component'],
    });
    this.recoveries = m.counter('omnimeter_wasm_recoveries_total', {
      help: 'Re-instantiations of stopped instances that succeeded.',
      labelNames: ['component'],
    });
    this.rejected = m.counter('omnimeter_wasm_guest_rejected_total', {
      help: 'Guest metric calls refused by the host, by reason.',
      labelNames: ['component', 'reason'],
    });
  }
}
