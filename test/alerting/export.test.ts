/**
 * `omnimeter alerts export` judged by Prometheus' own tool: promtool check
 * rules accepts the file (also for arbitrary label values and annotation
 * text), and promtool test rules, replaying exactly the samples our engine
 * evaluated, expects at every evaluation the same firing alerts, with the same
 * labels and annotations, as our engine produced.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { exportRules } from '../../src/alerting/export.js';
import { main } from '../../src/cli/main.js';
import { AlertingSchema } from '../../src/config/alerting-schema.js';
import { quote } from '../../src/config/selector.js';
import { describeWithTools } from '../support/tools.js';
import { INTERVAL, alertingFixture } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'omnimeter-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const RULES = [
  {
    name: 'QueueDeep',
    condition: { kind: 'threshold', selector: 'queue_depth{queue="mail"}', op: '>', threshold: 10 },
    for: '30s',
    keepFiringFor: '20s',
    labels: { team: 'mail' },
    annotations: { summary: 'queue {{ $labels.queue }} holds {{ $value }}' },
  },
  {
    name: 'ErrorRatio',
    severity: 'critical',
    condition: { kind: 'ratio', selector: 'calls_total{status="error"}', denominator: 'calls_total', window: '1m', threshold: 0.1 },
    for: '20s',
    annotations: { summary: '{{ $value | humanizePercentage }} of calls fail' },
  },
  {
    name: 'CallRate',
    condition: { kind: 'rate', selector: 'calls_total', window: '1m', threshold: 5, by: ['status'] },
    annotations: { summary: '{{ printf "%.2f" $value }} calls/s ({{ $labels.status }})' },
  },
  {
    name: 'SlowP90',
    condition: { kind: 'quantile', selector: 'req_seconds', quantile: 0.9, window: '1m', threshold: 0.5 },
    annotations: { summary: 'p90 is {{ humanize $value }}s' },
  },
  { name: 'NoHeartbeat', condition: { kind: 'absent', selector: 'heartbeat{job="etl"}' } },
  {
    name: 'LatencyRegression',
    condition: {
      kind: 'regression',
      selector: 'req_seconds',
      measure: 'quantile',
      quantile: 0.9,
      window: '1m',
      baseline: '2m',
      tolerance: 0.5,
    },
  },
  {
    name: 'MeanUp',
    condition: { kind: 'regression', selector: 'req_seconds', measure: 'mean', window: '1m', baseline: '2m', tolerance: 0.5 },
  },
  { name: 'CallsAnomaly', condition: { kind: 'anomaly', selector: 'calls_total', measure: 'rate', window: '1m', by: [] } },
];

describeWithTools(['promtool'], 'alerts export, judged by promtool', () => {
  it('writes a rule file promtool check rules accepts; anomaly rules are listed as not exportable', () => {
    const result = exportRules(AlertingSchema.parse({ enabled: true, rules: RULES }));
    expect(result.skipped.map((s) => s.rule)).toEqual(['CallsAnomaly']);
    expect(result.exported).toHaveLength(RULES.length - 1);
    writeFileSync(join(dir, 'rules.yml'), result.yaml);
    const check = promtool(['check', 'rules', 'rules.yml']);
    expect(check.output).toContain(`SUCCESS: ${RULES.length - 1} rules found`);
    expect(check.status).toBe(0);
  });

  it('escapes any label value and annotation text so that promtool accepts the file', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    const rules = fc.sample(fc.tuple(text, text), { numRuns: 100, seed: 14 }).map(([value, annotation], i) => ({
      name: `R${i}`,
      condition: { kind: 'rate', selector: `x_total{l=${quote(value)}, m!=${quote(annotation)}}`, window: '5m', threshold: 1 },
      labels: { v: value },
      annotations: { text: `${annotation.replace(/\{\{|\}\}/g, '')} {{ $labels.l }}` },
    }));
    const result = exportRules(AlertingSchema.parse({ enabled: true, rules }));
    writeFileSync(join(dir, 'escaped.yml'), result.yaml);
    const check = promtool(['check', 'rules', 'escaped.yml']);
    expect(check.output).toContain('SUCCESS: 100 rules found');
  });

  it('promtool test rules agrees, at every evaluation, with the alerts our engine fired on the same samples', async () => {
    const f = alertingFixture({ rules: RULES });
    const queue = f.metrics.gauge('queue_depth', { help: 'Queued.', labelNames: ['queue'] });
    const calls = f.metrics.counter('calls_total', { help: 'Calls.', labelNames: ['status'] });
    const latency = f.metrics.histogram('req_seconds', { help: 'Latency.', buckets: [0.1, 0.25, 0.5, 1, 2.5] });
    const heartbeat = () => f.metrics.gauge('heartbeat', { help: 'Beat.', labelNames: ['job'] }).set({ job: 'etl' }, 1);
    const STEPS = 48;
    // Every sample the engine saw (the history keeps only the longest window, so gather as we go).
    const seen = new Map<string, { labels: Record<string, string>; values: Map<number, number> }>();
    const firing: { step: number; rule: string; labels: Record<string, string>; annotations: Record<string, string> }[] = [];
    for (let step = 0; step < STEPS; step++) {
      queue.set({ queue: 'mail' }, step >= 6 && step < 16 ? 20 + step : step >= 30 && step < 33 ? 15 : 2);
      const errorShare = step >= 20 && step < 34 ? 0.25 : 0.02;
      calls.inc({ status: 'ok' }, Math.round(100 * (1 - errorShare)));
      calls.inc({ status: 'error' }, Math.round(100 * errorShare));
      const slow = step >= 28;
      for (let k = 0; k < 40; k++) latency.observe(k < 30 ? 0.05 : slow ? 1.7 : 0.3);
      if (step === 5) heartbeat();
      await f.scheduler.advance(step === 0 ? 0 : INTERVAL);
      for (const s of f.sampler.history.all()) {
        const key = JSON.stringify(s.labels);
        if (!seen.has(key)) seen.set(key, { labels: { ...s.labels }, values: new Map() });
        for (const p of s.points) seen.get(key)!.values.set(Math.round((p.t - f.start) / INTERVAL), p.v);
      }
      for (const a of f.alerts())
        if (a.state === 'firing') firing.push({ step, rule: a.rule, labels: { ...a.labels }, annotations: { ...a.annotations } });
    }
    const exportedRules = RULES.filter((r) => r.condition.kind !== 'anomaly').map((r) => r.name);
    // Every rule fired at some point and was quiet at another: the comparison is not vacuous.
    for (const rule of exportedRules) {
      const steps = new Set(firing.filter((x) => x.rule === rule).map((x) => x.step));
      expect(steps.size, rule).toBeGreaterThan(0);
      expect(steps.size, rule).toBeLessThan(STEPS);
    }
    const series = [...seen.values()].map((s) => {
      const { __name__: name, ...labels } = s.labels;
      const byStep = s.values;
      const values = Array.from({ length: STEPS }, (_, i) => (byStep.has(i) ? String(byStep.get(i)) : '_'));
      return {
        series: `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}=${quote(v)}`)
          .join(', ')}}`,
        values: values.join(' '),
      };
    });
    const tests = exportedRules.flatMap((rule) =>
      Array.from({ length: STEPS }, (_, step) => ({
        eval_time: `${(step * INTERVAL) / 1000}s`,
        alertname: rule,
        exp_alerts: firing
          .filter((x) => x.rule === rule && x.step === step)
          .map((x) => ({ exp_labels: x.labels, exp_annotations: x.annotations })),
      })),
    );
    const result = exportRules(AlertingSchema.parse({ enabled: true, evaluationInterval: INTERVAL / 1000, rules: RULES }));
    writeFileSync(join(dir, 'agree.yml'), result.yaml);
    writeFileSync(
      join(dir, 'agree.test.yml'),
      stringify({
        rule_files: ['agree.yml'],
        evaluation_interval: `${INTERVAL / 1000}s`,
        tests: [{ interval: `${INTERVAL / 1000}s`, input_series: series, alert_rule_test: tests }],
      }),
    );
    const run = promtool(['test', 'rules', 'agree.test.yml']);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});

describeWithTools(['promtool'], 'omnimeter alerts export and validate-config', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (append(String(chunk)), done()) });
    const code = await main(argv, sink((s) => (out += s)) as never, sink((s) => (err += s)) as never);
    return { code, out, err };
  };

  it('validate-config reports rules and channels; a bad rule names its path', async () => {
    const good = join(dir, 'omnimeter.yaml');
    writeFileSync(good, stringify({ enabled: true, health: { enabled: true }, alerting: { enabled: true, rules: RULES } }));
    const ok = await run(['validate-config', good]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`health on, alerting on: ${RULES.length} rule(s), 0 channel(s)`);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      stringify({ alerting: { rules: [{ name: 'X', condition: { kind: 'rate', selector: 'x', window: 'soon', threshold: 1 } }] } }),
    );
    const refused = await run(['validate-config', bad]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('alerting.rules[0].condition.window: expected a duration');
  });

  it('alerts export writes the rule file promtool accepts and lists what it left out', async () => {
    const config = join(dir, 'export.yaml');
    writeFileSync(config, stringify({ alerting: { rules: RULES } }));
    const result = await run(['alerts', 'export', config, '--output', join(dir, 'exported.yml')]);
    expect(result.code).toBe(0);
    expect(result.err).toContain('not exported: CallsAnomaly: anomaly rules');
    expect(promtool(['check', 'rules', 'exported.yml']).status).toBe(0);
    const stdout = await run(['alerts', 'export', config]);
    expect(stdout.out).toContain('- alert: QueueDeep');
    expect((await run(['alerts', 'export'])).code).toBe(2);
  });
});
