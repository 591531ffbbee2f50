import type { Span, Tracer } from '@opentelemetry/api';
import type { LabelValue, Labels, StopTimer, Timer, TimerHandle } from '../api/instruments.js';
import type { Clock } from './clock.js';
import { type HistogramFamily, type SummaryFamily, isLabelsArgument } from './families.js';

type Target = HistogramFamily<string> | SummaryFamily<string>;
type Observer = { observe(seconds: number): void };

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Runs `fn` and reports its duration once it settles, success or failure. */
export function timeCall<T>(clock: Clock, fn: () => T, record: (seconds: number) => void): T {
  const start = clock.now();
  const done = () => record((clock.now() - start) / 1000);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    done();
    throw error;
  }
  if (!isPromiseLike(result)) {
    done();
    return result;
  }
  return result.then(
    (value) => {
      done();
      return value;
    },
    (error: unknown) => {
      done();
      throw error;
    },
  ) as T;
}

function boundTimer(clock: Clock, series: Observer): TimerHandle {
  return {
    start() {
      const start = clock.now();
      return () => {
        const seconds = (clock.now() - start) / 1000;
        series.observe(seconds);
        return seconds;
      };
    },
    time: (fn) => timeCall(clock, fn, (s) => series.observe(s)),
  };
}

/** Durations in seconds, measured on a monotonic high-resolution clock. */
/** The slice of an OpenTelemetry Tracer timers use (type-only: the core imports no OpenTelemetry code). */
type SpanTracer = Pick<Tracer, 'startActiveSpan'>;

/** SpanStatusCode.ERROR of @opentelemetry/api. */
const SPAN_ERROR = 2;

/**
 * Runs `fn` inside a new active span named `name`, ended when `fn` settles;
 * a throw or rejection is recorded on the span and marks it as an error.
 */
export function inSpan<T>(tracer: SpanTracer, name: string, fn: () => T): T {
  return tracer.startActiveSpan(name, (span: Span) => {
    const fail = (error: unknown) => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SPAN_ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
      throw error;
    };
    let result: T;
    try {
      result = fn();
    } catch (error) {
      return fail(error);
    }
    if (!isPromiseLike(result)) {
      span.end();
      return result;
    }
    return result.then((value) => {
      span.end();
      return value;
    }, fail) as T;
  });
}

export class TimerImpl<N extends string> implements Timer<N> {
  constructor(
    private readonly target: Target,
    private readonly clock: Clock,
    /** When set, time() (and so @timed) runs the call in a span of this name. */
    private readonly span?: { tracer: SpanTracer; name: string },
  ) {}

  get name(): string {
    return this.target.name;
  }
  get help(): string {
    return this.target.help;
  }
  get labelNames(): readonly string[] {
    return this.target.labelNames;
  }

  start(startLabels?: Partial<Labels<N>>): StopTimer<N> {
    const start = this.clock.now();
    return (endLabels?: Partial<Labels<N>>) => {
      const seconds = (this.clock.now() - start) / 1000;
      this.record(startLabels && endLabels ? { ...startLabels, ...endLabels } : (endLabels ?? startLabels), seconds);
      return seconds;
    };
  }

  time<T>(fn: () => T, labels?: Labels<N>): T {
    const timed = () => timeCall(this.clock, fn, (seconds) => this.record(labels, seconds));
    return this.span ? inSpan(this.span.tracer, this.span.name, timed) : timed();
  }

  labels(labels: Labels<N>): TimerHandle {
    return boundTimer(this.clock, this.target.labels(labels));
  }

  observe(a: unknown, b?: number): void {
    if (this.target.labelNames.length > 0 || (typeof a === 'object' && isLabelsArgument(a))) this.record(a as Labels<N>, b as number);
    else this.record(undefined, a as number);
  }

  private record(labels: Partial<Record<string, LabelValue>> | undefined, seconds: number): void {
    if (this.target.labelNames.length === 0) (this.target.observe as (v: number) => void)(seconds);
    else (this.target.observe as (l: unknown, v: number) => void)(labels, seconds);
  }
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * A method decorator that times every call. Works both as a TC39 (TS 5+)
 * decorator and as a legacy `experimentalDecorators` one. The timer is
 * resolved on first call, so decorating costs nothing at import time.
 */
export function timedDecorator(getTimer: () => Timer<never>) {
  let timer: Timer<never> | undefined;
  const wrap = (original: Method): Method =>
    function (this: unknown, ...args: unknown[]) {
      timer ??= getTimer();
      return timer.time(() => original.apply(this, args));
    };
  return function decorate(target: unknown, context?: unknown, descriptor?: PropertyDescriptor): any {
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      if ((context as { kind: string }).kind !== 'method') throw new TypeError('@timed applies to methods only');
      return wrap(target as Method);
    }
    if (!descriptor || typeof descriptor.value !== 'function') throw new TypeError('@timed applies to methods only');
    descriptor.value = wrap(descriptor.value as Method);
    return descriptor;
  };
}
