import type { Counter, Gauge, Histogram, Summary, Timer } from '../api/instruments.js';

/**
 * What a disabled Metrics hands out: one shared object whose methods do
 * nothing, so instrumented code pays one empty call.
 */
const nothing = (): void => {};
const handle = { inc: nothing, dec: nothing, set: nothing, setToCurrentTime: nothing, observe: nothing };
const stop = (): number => 0;
const timerHandle = { start: () => stop, time: <T>(fn: () => T): T => fn() };

export const noopInstrument = {
  ...handle,
  name: '',
  help: '',
  labelNames: [] as readonly string[],
  labels: () => handle,
  remove: nothing,
  reset: nothing,
  start: () => stop,
  time: <T>(fn: () => T): T => fn(),
};

export const noopCounter = noopInstrument as unknown as Counter<any>;
export const noopGauge = noopInstrument as unknown as Gauge<any>;
export const noopHistogram = noopInstrument as unknown as Histogram<any>;
export const noopSummary = noopInstrument as unknown as Summary<any>;
export const noopTimer = { ...noopInstrument, labels: () => timerHandle } as unknown as Timer<any>;
