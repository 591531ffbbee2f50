/**
 * The instrument interfaces every backend serves. User code depends on these
 * and nothing else, so the same instrumentation runs on the native, the
 * WASM-component and the browser backends.
 */

/** A label value as accepted on the API; numbers and booleans are stringified. */
export type LabelValue = string | number | boolean;

/** Label values keyed by the label names declared on the metric. */
export type Labels<N extends string = string> = { readonly [K in N]: LabelValue };

/**
 * Label-taking parameter: required when the metric declares label names,
 * absent when it declares none.
 */
export type LabelArgs<N extends string> = [N] extends [never] ? [] : [labels: Labels<N>];

/** Monotonic counter series, bound to one label set: the hot path. */
export interface CounterHandle {
  /** Add `value` (default 1). Negative, NaN and infinite values are rejected. */
  inc(value?: number): void;
}

export interface GaugeHandle {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
  /** Set to the current wall-clock time in seconds. */
  setToCurrentTime(): void;
}

export interface HistogramHandle {
  observe(value: number): void;
}

export interface SummaryHandle {
  observe(value: number): void;
}

/**
 * Stops a running timer, records the elapsed seconds and returns them.
 * Labels not given to `start()` may be given here.
 */
export type StopTimer<N extends string = never> = (labels?: Partial<Labels<N>>) => number;

export interface TimerHandle {
  /** Start timing now; call the returned function to record the duration. */
  start(): () => number;
  /** Time `fn` (sync or async); the duration is recorded even if it throws. */
  time<T>(fn: () => T): T;
}

interface Described {
  /** Full metric name as exposed (prefix included). */
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

export interface Counter<N extends string = never> extends Described {
  inc(...args: [N] extends [never] ? [value?: number] : [labels: Labels<N>, value?: number]): void;
  labels(labels: Labels<N>): CounterHandle;
  /** Forget one series (or all with no argument). */
  remove(labels: Labels<N>): void;
  reset(): void;
}

export interface Gauge<N extends string = never> extends Described {
  set(...args: [N] extends [never] ? [value: number] : [labels: Labels<N>, value: number]): void;
  inc(...args: [N] extends [never] ? [value?: number] : [labels: Labels<N>, value?: number]): void;
  dec(...args: [N] extends [never] ? [value?: number] : [labels: Labels<N>, value?: number]): void;
  setToCurrentTime(...args: LabelArgs<N>): void;
  labels(labels: Labels<N>): GaugeHandle;
  remove(labels: Labels<N>): void;
  reset(): void;
}

export interface Histogram<N extends string = never> extends Described {
  observe(...args: [N] extends [never] ? [value: number] : [labels: Labels<N>, value: number]): void;
  labels(labels: Labels<N>): HistogramHandle;
  remove(labels: Labels<N>): void;
  reset(): void;
}

export interface Summary<N extends string = never> extends Described {
  observe(...args: [N] extends [never] ? [value: number] : [labels: Labels<N>, value: number]): void;
  labels(labels: Labels<N>): SummaryHandle;
  remove(labels: Labels<N>): void;
  reset(): void;
}

/** Records durations in seconds into a histogram (default) or a summary. */
export interface Timer<N extends string = never> extends Described {
  /**
   * Start timing. Labels may be given here, when stopping, or split between
   * the two; all declared labels must be known by the time it stops.
   */
  start(labels?: Partial<Labels<N>>): StopTimer<N>;
  /** Time `fn`, sync or async; a rejected or thrown call is still recorded. */
  time<T>(fn: () => T, ...labels: LabelArgs<N>): T;
  labels(labels: Labels<N>): TimerHandle;
  /** Record an already measured duration in seconds. */
  observe(...args: [N] extends [never] ? [seconds: number] : [labels: Labels<N>, seconds: number]): void;
}
