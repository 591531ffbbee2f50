/**
 * The component-runtime set's helpers: one object for a runtime (a WASM
 * host, a plugin loader), the component named on each call.
 */
import { type Clock, counterOf, gaugeOf, histogramOf, monotonicSeconds, type Outcome, type SetOptions, timed } from './instruments.js';
import { COMPONENT_RUNTIME_SET as R } from './spec.js';

export interface ComponentRuntimeMetrics {
  readonly clock: Clock;
  /** Loads a component (sync or async) and times it. */
  load<T>(component: string, fn: () => T): T;
  loaded(component: string, seconds: number): void;
  unloaded(component: string, seconds: number): void;
  memory(component: string, bytes: number): void;
  cpu(component: string, seconds: number): void;
  /** Times a call from `component` into `target` (sync or async). */
  call<T>(component: string, target: string, fn: () => T): T;
  called(component: string, target: string, seconds: number, outcome: Outcome): void;
  allocated(component: string, resourceType: string, count?: number): void;
  cleanedUp(component: string, resourceType: string, seconds: number): void;
}

export function componentRuntimeMetrics(options: SetOptions): ComponentRuntimeMetrics {
  const { metrics } = options;
  const clock = options.clock ?? monotonicSeconds;
  const name = (component: string) => ({ 'component.name': component });
  const load = histogramOf(metrics, R.loadDuration);
  const unload = histogramOf(metrics, R.unloadDuration);
  const memory = gaugeOf(metrics, R.memoryUsed);
  const cpu = counterOf(metrics, R.cpuTime);
  const calls = histogramOf(metrics, R.callDuration);
  const allocations = counterOf(metrics, R.resourceAllocations);
  const cleanup = histogramOf(metrics, R.resourceCleanup);
  const called = (component: string, target: string, seconds: number, outcome: Outcome) =>
    calls.observe({ ...name(component), 'component.target': target, outcome }, seconds);
  return {
    clock,
    load: (component, fn) => timed(clock, fn, (seconds) => load.observe(name(component), seconds)),
    loaded: (component, seconds) => load.observe(name(component), seconds),
    unloaded: (component, seconds) => unload.observe(name(component), seconds),
    memory: (component, bytes) => memory.set(name(component), bytes),
    cpu: (component, seconds) => {
      if (seconds > 0) cpu.inc(name(component), seconds);
    },
    call: (component, target, fn) => timed(clock, fn, (seconds, outcome) => called(component, target, seconds, outcome)),
    called,
    allocated: (component, resourceType, count = 1) => allocations.inc({ ...name(component), 'resource.type': resourceType }, count),
    cleanedUp: (component, resourceType, seconds) => cleanup.observe({ ...name(component), 'resource.type': resourceType }, seconds),
  };
}
