/**
 * Selector and template syntax: property tests (format → parse is the
 * identity for any label value; matching follows PromQL), the Go-style number
 * formatting annotations use, and configuration errors that name the path.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { type Matcher, compileMatchers, formatSelector, parseSelector } from '../../src/config/selector.js';
import { compileTemplate, goFloat, humanize } from '../../src/config/template.js';
import { ConfigError, parseConfig } from '../../src/node/index.js';

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((n) => n !== '__name__');
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const matcher = fc.record({
  name: labelName,
  op: fc.constantFrom('=', '!=' as const),
  value: fc.string({ unit: 'grapheme', maxLength: 16 }),
});

describe('selectors', () => {
  it('format then parse returns the same selector, whatever the label values', () => {
    fc.assert(
      fc.property(metricName, fc.array(matcher, { maxLength: 4 }), (metric, matchers) => {
        const selector = { metric, matchers: matchers as Matcher[] };
        expect(parseSelector(formatSelector(selector))).toEqual(selector);
      }),
    );
  });

  it('parses all quote styles and escapes PromQL accepts', () => {
    expect(parseSelector(`x{a="q\\"\\n\\\\", b='s\\'', c=\`raw\\n\`, d=~"a|b", e!~'c.*'}`)).toEqual({
      metric: 'x',
      matchers: [
        { name: 'a', op: '=', value: 'q"\n\\' },
        { name: 'b', op: '=', value: "s'" },
        { name: 'c', op: '=', value: 'raw\\n' },
        { name: 'd', op: '=~', value: 'a|b' },
        { name: 'e', op: '!~', value: 'c.*' },
      ],
    });
    expect(parseSelector('{severity="critical"}')).toEqual({ metric: '', matchers: [{ name: 'severity', op: '=', value: 'critical' }] });
  });

  it.each([
    ['x{', 'expected a label name'],
    ['x{a}', 'expected =, !=, =~ or !~'],
    ['x{a="b"', 'expected "," or "}"'],
    ['x{a="b}', 'expected a closed'],
    ['x{a=~"("}', 'invalid regular expression'],
    ['x y', 'expected the end of the selector'],
    ['', 'needs a metric name or at least one matcher'],
  ])('rejects %j: %s', (text, message) => {
    expect(() => parseSelector(text)).toThrow(message);
  });

  it('matches as PromQL: regexes are anchored, a missing label is ""', () => {
    const m = (text: string) => compileMatchers(parseSelector(text).matchers);
    expect(m('{a=~"b|c"}')({ a: 'c' })).toBe(true);
    expect(m('{a=~"b"}')({ a: 'abc' })).toBe(false);
    expect(m('{a!=""}')({})).toBe(false);
    expect(m('{a=""}')({ b: 'x' })).toBe(true);
    expect(m('{a!~"x.*"}')({ a: 'y' })).toBe(true);
  });
});

describe('annotation templates', () => {
  it('renders labels, values and functions as Prometheus does', () => {
    const render = (t: string, value: number, labels = { job: 'api' }) => compileTemplate(t).render(labels, value);
    expect(render('{{ $labels.job }} at {{ $value }}', 0.25)).toBe('api at 0.25');
    expect(render('{{ $labels.missing }}|', 1)).toBe('|');
    expect(render('{{ $value | humanize }}', 1234567)).toBe('1.235M');
    expect(render('{{ humanize $value }}', 0.00123)).toBe('1.23m');
    expect(render('{{ humanizePercentage $value }}', 0.1234)).toBe('12.34%');
    expect(render('{{ printf "%.2f" $value }}s', 1.005)).toBe('1.00s');
    expect(render('{{ $value | printf "%.1f%%" }}', 99.44)).toBe('99.4%');
  });

  it('prints floats as Go does for {{ $value }}', () => {
    expect([1e6, 123456, 1234567, 0.0001, 0.00001, 1 / 3, -2.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY].map(goFloat)).toEqual([
      '1e+06',
      '123456',
      '1.234567e+06',
      '0.0001',
      '1e-05',
      '0.3333333333333333',
      '-2.5',
      '1e+21',
      'NaN',
      '+Inf',
    ]);
    expect([0, 999, 1000, 1500, 2.5e9, 0.5].map(humanize)).toEqual(['0', '999', '1k', '1.5k', '2.5G', '500m']);
  });

  it.each([
    ['{{ $value', 'expected "}}" to close'],
    ['{{ .Value }}', 'found ".Value"'],
    ['{{ toUpper $value }}', 'expected a template function (humanize, humanizePercentage, printf), found "toUpper"'],
    ['{{ printf "%x" $value }}', 'expected printf verbs'],
  ])('rejects %j', (source, message) => {
    expect(() => compileTemplate(source)).toThrow(message);
  });
});

describe('alerting configuration errors name the path and the value', () => {
  const issuesOf = (alerting: unknown): readonly string[] => {
    try {
      parseConfig({ alerting }, 'test');
    } catch (error) {
      if (error instanceof ConfigError) return error.issues;
      throw error;
    }
    throw new Error('accepted');
  };
  it.each([
    [
      { rules: [{ name: 'X', condition: { kind: 'rate', selector: 'x{a=', window: '5m', threshold: 1 } }] },
      'alerting.rules[0].condition.selector: expected a quoted label value at offset 4 of "x{a=", got "x{a="',
    ],
    [
      { rules: [{ name: 'X', condition: { kind: 'spike', selector: 'x' } }] },
      'alerting.rules[0].condition.kind: expected a condition with kind "threshold", "rate", "quantile", "ratio", "absent", "regression" or "anomaly", got "spike"',
    ],
    [
      { rules: [{ name: 'X', condition: { kind: 'threshold', selector: 'x', threshold: 1 }, annotations: { s: '{{ .Value }}' } }] },
      'alerting.rules[0].annotations.s: expected $value, $labels.<name>, a quoted string, "|" or a function at offset 2, found ".Value", got "{{ .Value }}"',
    ],
    [
      { rules: [{ name: 'X', condition: { kind: 'threshold', selector: 'x', threshold: 1 }, for: '5 minutes' }] },
      'alerting.rules[0].for: expected a duration (0 allowed): seconds as a number, or "500ms", "30s", "5m", "1h", "1d", got "5 minutes"',
    ],
    [{ route: { channel: 'pager' } }, 'alerting.route.channel: expected the name of a configured channel (none configured), got "pager"'],
    [
      { channels: [{ type: 'pagerduty', name: 'p' }] },
      'alerting.channels[0].type: expected a channel with type "webhook", "slack", "email" or "console", got "pagerduty"',
    ],
    [
      { silences: [{ matchers: 'x{a="b"}', endsAt: '2030-01-01T00:00:00Z' }] },
      'alerting.silences[0].matchers: expected label matchers only, like `{severity="critical"}`, got "x{a=\\"b\\"}"',
    ],
  ])('%j', (alerting, message) => {
    const issues = issuesOf(alerting);
    expect(issues, issues.join('\n')).toContain(message);
  });
});

describe('docs/health-and-alerting.md', () => {
  it('every YAML example is a valid configuration', () => {
    const text = readFileSync(new URL('../../docs/health-and-alerting.md', import.meta.url), 'utf8');
    // Fence markers of the docs test (file=..., no-test: reason) may follow the language; fragments marked no-test are not whole configurations.
    const blocks = [...text.matchAll(/```yaml(?![^\n]*no-test)[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) expect(() => parseConfig(parseYaml(block), 'docs')).not.toThrow();
  });
});
