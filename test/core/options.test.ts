/**
 * Registration options of every kind, of every type: a wrong one is a
 * MetricsError naming the option and the value, never a TypeError from deep
 * inside, and sizes are bounded (docs/security.md lists the limits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { MetricsError, createMetrics } from '../../src/index.js';

const KINDS = ['counter', 'gauge', 'histogram', 'summary', 'timer'] as const;
type Kind = (typeof KINDS)[number];

function register(kind: Kind, name: unknown, options: unknown, metricsOptions: object = {}) {
  const m = createMetrics(metricsOptions);
  return (m[kind] as (n: unknown, o: unknown) => unknown)(name, options);
}

/** What a call threw, if anything. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('registration options of the wrong type', () => {
  const badNames = [123, undefined, null, {}, ['a'], Symbol('n'), () => 'x', 5n, true];
  it.each(KINDS)('%s(name) with a name that is not a string is a MetricsError naming it', (kind) => {
    for (const name of badNames) {
      const error = thrown(() => register(kind, name, { help: 'h' }));
      expect(error, `${kind}(${String(name)})`).toBeInstanceOf(MetricsError);
      expect((error as MetricsError).code).toBe('INVALID_NAME');
    }
    expect(() => register(kind, 123, { help: 'h' })).toThrowError(/^metric name 123 is invalid: expected /);
  });

  const badOptions: [string, unknown][] = [
    ['options', undefined],
    ['options', null],
    ['options', 5],
    ['options', 'help'],
    ['help', { help: 5 }],
    ['labelNames', { help: 'h', labelNames: 'a' }],
    ['labelNames', { help: 'h', labelNames: [1] }],
    ['unit', { help: 'h', unit: 5 }],
    ['buckets', { help: 'h', buckets: 'x' }],
    ['buckets', { help: 'h', buckets: [1, '2'] }],
    ['buckets', { help: 'h', buckets: { length: 3 } }],
    ['quantiles', { help: 'h', quantiles: '0.5' }],
    ['quantiles', { help: 'h', quantiles: [0.5, '0.9'] }],
    ['maxAgeSeconds', { help: 'h', maxAgeSeconds: '5' }],
    ['ageBuckets', { help: 'h', ageBuckets: '5' }],
    ['sampleRate', { help: 'h', sampleRate: '0.5' }],
    ['collect', { help: 'h', collect: 5 }],
    ['type', { help: 'h', type: 'gauge' }],
  ];
  const uses: Record<string, readonly Kind[]> = {
    buckets: ['histogram', 'timer'],
    quantiles: ['summary'],
    maxAgeSeconds: ['summary'],
    ageBuckets: ['summary'],
    sampleRate: ['histogram', 'summary', 'timer'],
    collect: ['gauge'],
    type: ['timer'],
  };
  it.each(KINDS)('%s: every option of the wrong type is a MetricsError', (kind) => {
    for (const [option, options] of badOptions) {
      if (uses[option] && !uses[option].includes(kind)) continue;
      const error = thrown(() => register(kind, 'x_seconds', options));
      expect(error, `${kind} ${option}: ${JSON.stringify(options)}`).toBeInstanceOf(MetricsError);
    }
  });

  it('createMetrics options of the wrong type are MetricsErrors', () => {
    for (const options of [
      5,
      'x',
      { prefix: 5 },
      { defaultLabels: 5 },
      { defaultLabels: { a: 5 } },
      { mode: 'loose' },
      { maxSeriesPerMetric: '5' },
      { seriesTtlSeconds: '5' },
      { samplingRate: '1' },
      { clock: 5 },
      { filter: 'x' },
      { backend: 5 },
      { enabled: 'yes' },
    ]) {
      expect(
        thrown(() => createMetrics(options as never)),
        JSON.stringify(options),
      ).toBeInstanceOf(MetricsError);
    }
  });

  it('any value in any option slot registers or throws a MetricsError (property)', () => {
    const slot = fc.constantFrom(
      'help',
      'labelNames',
      'unit',
      'buckets',
      'quantiles',
      'maxAgeSeconds',
      'ageBuckets',
      'sampleRate',
      'type',
      'collect',
    );
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), slot, fc.anything({ withBigInt: true, withMap: true, withSet: true }), (kind, key, value) => {
        const error = thrown(() => register(kind, 'x_seconds', { help: 'h', [key]: value }));
        return error === undefined || error instanceof MetricsError;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('size limits of registration options', () => {
  it('refuses more age buckets than the limit instead of running out of memory', () => {
    expect(() => register('summary', 's', { help: 'h', ageBuckets: 1e9 })).toThrowError(
      `summary "s": ageBuckets: expected an integer 1-${LIMITS.ageBuckets}, got 1000000000`,
    );
    expect(() => register('summary', 's', { help: 'h', ageBuckets: LIMITS.ageBuckets })).not.toThrow();
  });

  it('refuses more buckets or quantiles than the limits, checking the length before copying', () => {
    const many = Array.from({ length: LIMITS.buckets + 1 }, (_, i) => i);
    expect(() => register('histogram', 'h', { help: 'h', buckets: many })).toThrowError(
      new RegExp(`buckets: expected at most ${LIMITS.buckets} bucket bounds, got ${LIMITS.buckets + 1}`),
    );
    expect(() => register('histogram', 'h', { help: 'h', buckets: new Array(1e9) })).toThrow(MetricsError);
    expect(() => register('histogram', 'h', { help: 'h', buckets: many.slice(0, LIMITS.buckets) })).not.toThrow();
    const quantiles = Array.from({ length: LIMITS.quantiles + 1 }, (_, i) => i / (LIMITS.quantiles + 1));
    expect(() => register('summary', 's', { help: 'h', quantiles })).toThrowError(/quantiles: expected at most \d+ quantiles/);
  });

  it('bounds the lengths of names, help, label names, label counts and label values', () => {
    const long = (n: number) => 'a'.repeat(n);
    expect(() => register('counter', long(LIMITS.nameLength + 1), { help: 'h' })).toThrowError(
      /metric name "a+" is invalid: longer than 256 characters/,
    );
    expect(() => register('counter', long(LIMITS.nameLength), { help: 'h' })).not.toThrow();
    expect(() => register('gauge', 'g', { help: long(LIMITS.helpLength + 1) })).toThrowError(
      `g: help: expected at most ${LIMITS.helpLength} characters, got ${LIMITS.helpLength + 1}`,
    );
    expect(() => register('gauge', 'g', { help: 'h', labelNames: [long(LIMITS.labelNameLength + 1)] })).toThrow(MetricsError);
    const names = Array.from({ length: LIMITS.labelNames + 1 }, (_, i) => `l${i}`);
    expect(() => register('gauge', 'g', { help: 'h', labelNames: names })).toThrowError(
      `g: labelNames: expected at most ${LIMITS.labelNames} label names, got ${LIMITS.labelNames + 1}`,
    );
    const g = createMetrics().gauge('g', { help: 'h', labelNames: ['k'] as const });
    expect(() => g.set({ k: long(LIMITS.labelValueLength + 1) }, 1)).toThrowError(
      `g: label "k": expected at most ${LIMITS.labelValueLength} characters, got ${LIMITS.labelValueLength + 1}`,
    );
    g.set({ k: long(LIMITS.labelValueLength) }, 1);
    const lenient = createMetrics({ mode: 'lenient' }).gauge('g', { help: 'h', labelNames: ['k'] as const });
    expect(() => lenient.set({ k: long(LIMITS.labelValueLength + 1) }, 1)).not.toThrow();
  });

  it('reserves le and quantile on every metric type (promtool lints them elsewhere)', () => {
    for (const kind of KINDS)
      for (const label of ['le', 'quantile'])
        expect(() => register(kind, 'x_seconds', { help: 'h', labelNames: [label] }), `${kind} ${label}`).toThrowError(
          new RegExp(`label name "${label}" is reserved`),
        );
  });
});
