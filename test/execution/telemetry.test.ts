/**
 * Execution telemetry around the reference engine, recorded through real
 * providers (omnimeter's MeterProvider, the OpenTelemetry SDK's meter and
 * tracer): metrics by status, a span per execution with a child per inner
 * tool call, logs; and a secret planted in the script and its arguments
 * that appears in none of it, nor in what the exporters send.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EXECUTION_BUCKETS,
  type ExecutionEngine,
  type ExecutionLogRecord,
  WasmScriptEngine,
  instrumentEngine,
  scriptHash,
  scriptTools,
} from '../../src/execution/index.js';
import { createMetrics } from '../../src/node/index.js';
import { createMeterProvider } from '../../src/otel/index.js';
import { componentDir } from '../support/components.js';
import { family, parentId, seriesWith, spanId, tracing } from '../support/mcp.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

const tracer = tracing();
afterAll(() => tracer.stop());
afterEach(() => tracer.reset());

let script: Uint8Array;
const engine = new WasmScriptEngine();
beforeAll(async () => {
  script = readFileSync(join(await componentDir('demo-script'), '..', 'demo-script.component.wasm'));
});

/** Tools that echo what they are given (so payloads flow back into the script and out of it). */
const echoTools = () =>
  scriptTools(
    async (tool, args) => {
      if (tool === 'broken') throw new Error(`broken while holding ${JSON.stringify(args)}`);
      if (tool === 'refuse') return { isError: true, content: [{ type: 'text', text: JSON.stringify(args) }] };
      return { content: [{ type: 'text', text: JSON.stringify(args) }] };
    },
    ['echo', 'refuse', 'broken', 'upper', 'count', 'a', 'b'],
  );

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** The component with a custom section appended (still a valid component: custom sections may appear anywhere). */
function withCustomSection(component: Uint8Array, name: string, payload: string): Uint8Array {
  const nameBytes = [...new TextEncoder().encode(name)];
  const body = [...uleb(nameBytes.length), ...nameBytes, ...new TextEncoder().encode(payload)];
  return new Uint8Array([...component, 0, ...uleb(body.length), ...body]);
}

describe('instrumentEngine', () => {
  it('counts executions by status, times them, counts inner calls and parallel branches; one span per execution, a child per tool call', async () => {
    const metrics = createMetrics();
    const logs: ExecutionLogRecord[] = [];
    const instrumented = instrumentEngine(engine, {
      meterProvider: createMeterProvider(metrics),
      tracerProvider: tracer.provider,
      log: (r) => logs.push(r),
    });
    const ok = await instrumented.execute({
      script,
      input: 'call upper {"text":"a"}\nparallel upper {} ;; count {} ;; refuse {}\ncall broken {}',
      sessionId: 'session-1',
      tools: echoTools(),
    });
    expect(ok.status).toBe('success');
    const timeout = await instrumented.execute({ script, input: 'call count {}\nspin', tools: echoTools(), limits: { timeoutMs: 200 } });
    expect(timeout.status).toBe('timeout');
    const limited = await instrumented.execute({ script, input: 'repeat 50 count {}', tools: echoTools(), limits: { maxSteps: 4 } });
    expect(limited.status).toBe('step_limit');
    const trapped = await instrumented.execute({ script, input: 'trap', tools: echoTools() });
    expect(trapped.status).toBe('error');

    const executions = seriesWith(await family(metrics, 'script.executions'), {});
    expect(Object.fromEntries(executions.map((s) => [s.attrs.status, s.value]))).toEqual({
      success: 1,
      timeout: 1,
      step_limit: 1,
      error: 1,
    });
    const durations = seriesWith(await family(metrics, 'script.execution.duration'), {});
    expect(durations.map((s) => s.count)).toEqual([1, 1, 1, 1]);
    expect(seriesWith(await family(metrics, 'script.execution.duration'), { status: 'timeout' })[0]!.sum).toBeGreaterThanOrEqual(0.2);
    const calls = seriesWith(await family(metrics, 'script.execution.tool_calls'), {});
    expect(Object.fromEntries(calls.map((s) => [s.attrs.status, s.sum]))).toEqual({ success: 5, timeout: 1, step_limit: 4, error: 0 });
    expect((await family(metrics, 'script.execution.tool_calls'))!.buckets).toEqual(EXECUTION_BUCKETS.toolCalls);
    expect(seriesWith(await family(metrics, 'script.parallel.branches'), {}).map((s) => s.value)).toEqual([3]);

    const spans = tracer.spans();
    const roots = spans.filter((s) => s.name === 'execute_script');
    expect(roots).toHaveLength(4);
    const [first] = roots;
    expect(first!.attributes).toMatchObject({
      'script.hash': await scriptHash(script),
      'script.tool_count': 5,
      'script.parallel_used': true,
      'script.step_count': 5,
      'script.status': 'success',
      'mcp.session.id': 'session-1',
    });
    const children = spans.filter((s) => parentId(s) === spanId(first!));
    expect(children.map((s) => [s.name, s.attributes['script.parallel'], s.attributes['error.type']])).toEqual(
      expect.arrayContaining([
        ['execute_tool upper', false, undefined],
        ['execute_tool upper', true, undefined],
        ['execute_tool count', true, undefined],
        ['execute_tool refuse', true, 'tool_error'],
        ['execute_tool broken', false, 'Error'],
      ]),
    );
    expect(children).toHaveLength(5);
    const statuses = Object.fromEntries(roots.map((s) => [s.attributes['script.status'], [s.status.code, s.attributes['error.type']]]));
    expect(statuses).toMatchObject({ timeout: [2, 'timeout'], step_limit: [2, 'step_limit'], error: [2, 'trap'] });

    expect(logs.map((l) => l.event)).toEqual([
      'script.start',
      'script.finish',
      'script.start',
      'script.error',
      'script.start',
      'script.error',
      'script.start',
      'script.error',
    ]);
    expect(logs[1]).toMatchObject({
      scriptHash: await scriptHash(script),
      sessionId: 'session-1',
      status: 'success',
      toolCalls: 5,
      parallelBranches: 3,
      steps: 5,
    });
    expect(logs[1]!.durationMs).toBeGreaterThan(0);
    expect(logs[3]).toMatchObject({ status: 'timeout', error: { type: 'timeout', message: 'time budget of 200 ms spent' } });
    expect(logs[7]!.error!.type).toBe('trap');
    await metrics.shutdown();
  });

  it('records into the OpenTelemetry SDK with its names, units and the shared buckets', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    await instrumentEngine(engine, { meterProvider }).execute({ script, input: 'parallel a {} ;; b {}', tools: echoTools() });
    await reader.forceFlush();
    const [scope] = exporter.getMetrics().at(-1)!.scopeMetrics;
    expect(scope!.scope.name).toBe('omnimeter/execution');
    const described = Object.fromEntries(scope!.metrics.map((m) => [m.descriptor.name, m.descriptor.unit]));
    expect(described).toEqual({
      'script.executions': '{execution}',
      'script.execution.duration': 's',
      'script.execution.tool_calls': '{call}',
      'script.parallel.branches': '{branch}',
    });
    const duration = scope!.metrics.find((m) => m.descriptor.name === 'script.execution.duration')!;
    expect((duration.dataPoints[0]!.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([
      ...EXECUTION_BUCKETS.seconds,
    ]);
    await meterProvider.shutdown();
  });

  it('hands the engine back untouched when there is nothing to record', () => {
    const bare: ExecutionEngine = { execute: async () => ({ status: 'success', steps: 0 }) };
    expect(instrumentEngine(bare, {})).toBe(bare);
  });

  it('never records the script or a payload: a planted secret appears in no log, label, span or export', async () => {
    const SECRET = 'sk-live-7f3a9c2e1b';
    const secretScript = withCustomSection(script, 'secret', SECRET);
    const otlp = await OtlpReceiver.start();
    const jsonPath = join(mkdtempSync(join(tmpdir(), 'omnimeter-secret-')), 'metrics.json');
    const metrics = createMetrics({
      collectionInterval: '200ms',
      exporters: [
        { type: 'otlp', endpoint: otlp.url },
        { type: 'json', path: jsonPath },
      ],
    });
    const logs: unknown[] = [];
    const instrumented = instrumentEngine(engine, {
      meterProvider: createMeterProvider(metrics),
      tracerProvider: tracer.provider,
      log: (r) => logs.push(r),
    });
    const outputs: unknown[] = [];
    // The secret in the script's bytes, its input, the tools' arguments and results, and the errors.
    for (const input of [
      `call ${SECRET} {"key":"${SECRET}"}\nparallel echo {"key":"${SECRET}"} ;; refuse {"key":"${SECRET}"} ;; broken {"key":"${SECRET}"}`,
      `call echo {"key":"${SECRET}"}\nfail ${SECRET}`,
      `call broken {"key":"${SECRET}"}\ntrap`,
      `call echo {"key":"${SECRET}"}\nspin`,
      `repeat 9 echo {"key":"${SECRET}"}`,
    ]) {
      const result = await instrumented.execute({
        script: secretScript,
        input,
        sessionId: 'session-2',
        tools: echoTools(),
        limits: { timeoutMs: 300, maxSteps: 5 },
      });
      outputs.push(result);
    }
    // The payloads did flow: the script saw and returned the secret.
    expect(JSON.stringify(outputs)).toContain(SECRET);
    await metrics.shutdown(); // flushes the exporters
    await otlp.stop();

    const spans = tracer.spans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      status: s.status,
      events: s.events,
      links: s.links,
      resource: s.resource.attributes,
    }));
    expect(spans.length).toBeGreaterThan(10);
    const recorded = {
      logs,
      spans,
      prometheus: await metrics.registry.expose('prometheus'),
      openmetrics: await metrics.registry.expose('openmetrics'),
      snapshot: await metrics.registry.collect(),
      otlp: otlp.requests,
      json: readFileSync(jsonPath, 'utf8'),
    };
    expect(otlp.requests.length).toBeGreaterThan(0);
    expect(recorded.openmetrics).toContain('script_executions_total');
    for (const [where, value] of Object.entries(recorded)) expect(JSON.stringify(value), where).not.toContain(SECRET);
    // The script's made-up tool name is recorded as _OTHER.
    expect(tracer.spans().filter((s) => s.name === 'execute_tool _OTHER')).toHaveLength(1);
    // And the statuses all happened.
    expect(new Set(logs.map((l) => (l as ExecutionLogRecord).status).filter(Boolean))).toEqual(
      new Set(['success', 'error', 'timeout', 'step_limit']),
    );
  });
});
