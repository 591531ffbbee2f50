/**
 * The host's runtime telemetry in the component-runtime set of
 * `omnimeter/sets` (docs/metric-sets.md), beside its own omnimeter_wasm_*
 * families, so a WASM host reports under the same names as any other
 * component runtime (HostOptions.componentRuntimeSet). The set keys on the
 * component only: memory is the sum over the component's live instances.
 */
import type { Metrics } from '../api/metrics.js';
import { type ComponentRuntimeMetrics, componentRuntimeMetrics } from '../sets/component-runtime.js';

/** The caller the host's invocations are recorded under (`component.name`; the component is `component.target`). */
export const HOST_CALLER = 'host';

export class RuntimeSet {
  private static readonly byMetrics = new WeakMap<Metrics, RuntimeSet>();
  private readonly set: ComponentRuntimeMetrics;
  /** Linear memory by component, then by instance. */
  private readonly memoryOf = new Map<string, Map<string, number>>();

  /** One set per Metrics: several hosts on one registry share the families and the memory sums. */
  static of(metrics: Metrics): RuntimeSet {
    let set = RuntimeSet.byMetrics.get(metrics);
    if (!set) RuntimeSet.byMetrics.set(metrics, (set = new RuntimeSet(metrics)));
    return set;
  }

  private constructor(metrics: Metrics) {
    this.set = componentRuntimeMetrics({ metrics });
  }

  loaded(component: string, seconds: number): void {
    this.set.loaded(component, seconds);
  }

  unloaded(component: string, instance: string, seconds: number): void {
    this.memory(component, instance, undefined);
    this.set.unloaded(component, seconds);
  }

  /** An instance's memory size; undefined when the instance is gone. */
  memory(component: string, instance: string, bytes: number | undefined): void {
    let instances = this.memoryOf.get(component);
    if (!instances) this.memoryOf.set(component, (instances = new Map()));
    if (bytes === undefined) instances.delete(instance);
    else instances.set(instance, bytes);
    let total = 0;
    for (const size of instances.values()) total += size;
    this.set.memory(component, total);
  }

  /** One invocation of the component by the host; every status but success is an error outcome. */
  invoked(component: string, seconds: number, success: boolean, cpuSeconds: number | undefined): void {
    this.set.called(HOST_CALLER, component, seconds, success ? 'success' : 'error');
    if (cpuSeconds !== undefined) this.set.cpu(component, cpuSeconds);
  }
}
