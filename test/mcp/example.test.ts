/**
 * examples/mcp-server end to end, as a separate process driven by the SDK's
 * real client over stdio and over Streamable HTTP: its metrics through the
 * strict OpenMetrics parser and a real Prometheus scrape (which also answers
 * every query docs/mcp.md gives for the dashboard), its spans through OTLP
 * into the OpenTelemetry project's decoder, joined with the client's spans
 * in one trace; errors, tool errors and timeouts classified as the
 * conventions say.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMetrics } from '../../src/index.js';
import { instrumentClient, mcpFetchMiddleware } from '../../src/mcp/index.js';
import { componentDir } from '../support/components.js';
import { type ReadableSpan, family, seriesWith, spanId, traceId, tracing, withAppSpan } from '../support/mcp.js';
import { OtlpTraceReceiver, type ReceivedSpan } from '../support/otlp-trace-receiver.js';
import { freePort } from '../support/ports.js';
import { startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';
import { type ParsedFamily, parseStrict } from '../support/validators.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'examples', 'mcp-server', 'main.mjs');
/** The dashboard's queries, as docs/mcp.md gives them: every one must answer against the example's live exposition. */
const DASHBOARD = [...readFileSync(join(ROOT, 'docs', 'mcp.md'), 'utf8').matchAll(/```promql\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]!
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#')),
);

const tracer = tracing();
let traces: OtlpTraceReceiver;
beforeAll(async () => {
  // The example imports omnimeter from dist/ (as a user would) and loads the example components.
  // @ts-expect-error the build script is plain JavaScript
  const { buildDist } = (await import('../../scripts/build.mjs')) as { buildDist: (o: { ifStale: boolean }) => boolean };
  buildDist({ ifStale: true });
  for (const name of ['cpu-tool', 'json-tool', 'demo-script']) await componentDir(name);
  traces = await OtlpTraceReceiver.start();
}, 300_000);
afterAll(async () => {
  tracer.stop();
  await traces.stop();
});

async function openMetrics(port: number): Promise<ParsedFamily[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  expect(res.headers.get('content-type')).toContain('application/openmetrics-text');
  return parseStrict(await res.text());
}

/** A sample's value from the strict parser's families: `name` is the sample name (…_count, …_total). */
function sample(families: ParsedFamily[], name: string, labels: Record<string, string>): number | undefined {
  for (const f of families)
    for (const s of f.samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
  return undefined;
}

const text = (result: unknown) => ((result as { content: { text: string }[] }).content[0]?.text ?? '') as string;

/** The calls every transport makes, inside one application span each; returns what the client saw. */
async function exercise(client: Client) {
  const app = tracer.provider;
  const seen: Record<string, unknown> = {};
  seen.fib = await withAppSpan(app, 'turn fibonacci', () => client.callTool({ name: 'fibonacci', arguments: { n: 20 } }));
  seen.json = await client.callTool({ name: 'count_json_values', arguments: { document: '{"a":[1,2,{"b":null}]}' } });
  seen.notJson = await client.callTool({ name: 'count_json_values', arguments: { document: '{"a":' } });
  seen.fail = await client.callTool({ name: 'fail', arguments: {} });
  seen.slow = await client
    .callTool({ name: 'slow', arguments: { ms: 10_000 } }, undefined, { timeout: 300 })
    .catch((e: { code: number }) => e.code);
  seen.script = await withAppSpan(app, 'turn script', () =>
    client.callTool({
      name: 'execute_tool_script',
      arguments: {
        // __proto__ names no tool: the script gets an error, not Object.prototype
        input:
          'call fibonacci {"n":10}\nparallel uppercase {"text":"a"} ;; echo {"text":"b"} ;; count_json_values {"document":"[1,2]"}\ncall __proto__ {}',
      },
    }),
  );
  seen.spin = await client.callTool({ name: 'execute_tool_script', arguments: { input: 'spin', timeoutMs: 200 } });
  seen.steps = await client.callTool({ name: 'execute_tool_script', arguments: { input: 'repeat 100 echo {"text":"x"}', maxSteps: 5 } });
  return seen;
}

function checkAnswers(seen: Record<string, unknown>) {
  expect(text(seen.fib)).toBe('6765');
  expect(text(seen.json)).toBe('3');
  expect(seen.notJson).toMatchObject({ isError: true });
  expect(seen.fail).toMatchObject({ isError: true });
  expect(seen.slow).toBe(-32001); // the SDK's request timeout
  expect(text(seen.script).split('\n')).toEqual(['ok 55', 'ok A', 'ok b', 'ok 2', 'error no tool named __proto__', '']);
  expect(seen.spin).toMatchObject({ isError: true });
  expect(text(seen.spin)).toMatch(/^script timeout/);
  expect(text(seen.steps)).toMatch(/^script step_limit/);
}

/** What the server's exposition must say after `exercise`, whatever the transport. */
function checkServerMetrics(families: ParsedFamily[], transport: 'pipe' | 'tcp') {
  const tool = (name: string, extra: Record<string, string> = {}) =>
    sample(families, 'mcp_server_operation_duration_seconds_count', {
      mcp_method_name: 'tools/call',
      gen_ai_tool_name: name,
      gen_ai_operation_name: 'execute_tool',
      network_transport: transport,
      jsonrpc_protocol_version: '2.0',
      ...extra,
    });
  expect(tool('fibonacci')).toBe(1);
  expect(tool('fail', { error_type: 'tool_error' })).toBe(1);
  expect(tool('count_json_values', { error_type: 'tool_error' })).toBe(1);
  expect(tool('slow', { error_type: 'timeout' })).toBe(1);
  expect(tool('execute_tool_script', { error_type: 'tool_error' })).toBe(2);
  // The legacy label beside the conventions' one.
  expect(tool('fibonacci', { tool_name: 'fibonacci' })).toBe(1);
  expect(sample(families, 'mcp_server_tool_calls_total', { gen_ai_tool_name: 'fail', outcome: 'tool_error' })).toBe(1);
  expect(sample(families, 'mcp_server_active_sessions', { network_transport: transport })).toBe(1);
  expect(sample(families, 'mcp_server_message_size_bytes_count', { mcp_method_name: 'tools/call', network_io_direction: 'receive' })).toBe(
    8,
  );
  // The sandbox view, under the same tool name: direct calls plus the scripts' inner calls.
  expect(sample(families, 'omnimeter_wasm_invocations_total', { component: 'fibonacci', status: 'success' })).toBe(2);
  expect(sample(families, 'omnimeter_wasm_invocations_total', { component: 'count_json_values', status: 'success' })).toBe(3);
  // Script executions by status.
  for (const status of ['success', 'timeout', 'step_limit'])
    expect(sample(families, 'script_executions_total', { status }), status).toBe(1);
  expect(sample(families, 'script_parallel_branches_total', {})).toBe(3);
  expect(sample(families, 'script_execution_tool_calls_sum', { status: 'success' })).toBe(5); // __proto__'s refused call counts
  // Session and request ids never become labels.
  for (const f of families) for (const s of f.samples) expect(Object.keys(s.labels)).not.toContain('mcp_session_id');
}

/** Server spans (from the example process, over OTLP) joined with the client's (in this process). */
function checkTrace(serverSpans: ReceivedSpan[], clientSpans: ReadableSpan[], sessionId?: string) {
  for (const [turn, toolName] of [
    ['turn fibonacci', 'fibonacci'],
    ['turn script', 'execute_tool_script'],
  ] as const) {
    const app = clientSpans.find((s) => s.name === turn)!;
    const client = clientSpans.find((s) => s.name === `tools/call ${toolName}` && s.parentSpanContext?.spanId === spanId(app))!;
    expect(client.kind).toBe(SpanKind.CLIENT);
    const server = serverSpans.find((s) => s.name === `tools/call ${toolName}` && s.parentSpanId === spanId(client));
    expect(server, `${toolName}: a server span whose parent is the client span`).toBeDefined();
    expect(server!.traceId).toBe(traceId(app));
    expect(server!.kind).toBe(2); // SERVER
    expect(server!.attributes['mcp.session.id']).toBe(sessionId);
    expect(server!.attributes['jsonrpc.request.id']).toBe(client.attributes['jsonrpc.request.id']);
    // Below the server span: the tool's own spans, in the same trace.
    const below = serverSpans.filter((s) => s.parentSpanId === server!.spanId).map((s) => s.name);
    if (toolName === 'fibonacci') expect(below).toEqual(['fibonacci fib']);
    else {
      expect(below).toEqual(['execute_script']);
      const script = serverSpans.find((s) => s.parentSpanId === server!.spanId)!;
      expect(script.attributes).toMatchObject({ 'script.tool_count': 5, 'script.parallel_used': true, 'script.step_count': 5 });
      const inner = serverSpans.filter((s) => s.parentSpanId === script.spanId).map((s) => s.name);
      expect(inner.sort()).toEqual([
        'execute_tool _OTHER', // __proto__ names no tool the runtime knows
        'execute_tool count_json_values',
        'execute_tool echo',
        'execute_tool fibonacci',
        'execute_tool uppercase',
      ]);
    }
  }
  const slow = serverSpans.find((s) => s.name === 'tools/call slow')!;
  expect(slow.attributes['error.type']).toBe('timeout');
  expect(slow.status.code).toBe(2); // ERROR
}

function startExample(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`the example exited (${code}):\n${err}`)));
  });
}

describeWithTools(['python3-prometheus-client', 'prometheus'], 'examples/mcp-server', () => {
  it('over stdio: answers, metrics by the strict parser and a real Prometheus (the dashboard queries too), one trace per turn', async () => {
    tracer.reset();
    const port = await freePort();
    const clientMetrics = createMetrics();
    const client = instrumentClient(new Client({ name: 'e2e', version: '1.0.0' }), {
      metrics: clientMetrics,
      tracerProvider: tracer.provider,
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, '--stdio', '--port', String(port)],
      env: { ...(process.env as Record<string, string>), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces.url },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await client.connect(transport);
    const prometheus = await startPrometheus([{ job: 'mcp-example', port }]);
    try {
      checkAnswers(await exercise(client));
      checkServerMetrics(await openMetrics(port), 'pipe');
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe('alive\n');
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      // The client's side: same names, the sender's metric.
      const [clientFib] = seriesWith(await family(clientMetrics, 'mcp.client.operation.duration'), { 'gen_ai.tool.name': 'fibonacci' });
      expect(clientFib!.attrs['network.transport']).toBe('pipe');
      const [clientSlow] = seriesWith(await family(clientMetrics, 'mcp.client.operation.duration'), { 'gen_ai.tool.name': 'slow' });
      expect(clientSlow!.attrs['error.type']).toBe('timeout');

      // A real Prometheus scraped it (OpenMetrics, strictly): the values arrive, and every dashboard query answers.
      await sleep(2500);
      const value = async (q: string) => Number((await prometheus.query(q))[0]?.value[1]);
      expect(await value('mcp_server_operation_duration_seconds_count{gen_ai_tool_name="fibonacci"}')).toBe(1);
      expect(await value('sum(omnimeter_wasm_invocations_total{component="fibonacci"})')).toBe(2);
      expect(await value('script_executions_total{status="timeout"}')).toBe(1);
      expect(DASHBOARD.length).toBeGreaterThan(8);
      for (const q of DASHBOARD) expect((await prometheus.query(q)).length, q).toBeGreaterThan(0);
    } finally {
      await prometheus.stop();
      await client.close(); // ends the child: it flushes its spans on the way out
    }
    await expect.poll(() => traces.spans.some((s) => s.name === 'execute_script'), { timeout: 15_000 }).toBe(true);
    checkTrace(traces.spans, tracer.spans());
    // Structured logs of script executions on stderr: hash and counts, never the input.
    const logs = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.event === 'script.finish')).toHaveLength(1);
    expect(logs.find((l) => l.status === 'step_limit')).toMatchObject({ event: 'script.error', steps: 5, toolCalls: 5 });
    expect(stderr).not.toContain('uppercase {"text":"a"}');
    await clientMetrics.shutdown();
  }, 180_000);

  it('counts what the transport cannot read: a line that is not JSON on stdin is a transport error, and the session carries on', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, '--stdio', '--port', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes(`127.0.0.1:${port}`)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the example exited (${code}):\n${err}`)));
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stdin!.write('this is not JSON\n');
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })}\n`);
      await expect.poll(() => out, { timeout: 10_000 }).toContain('"id":1');
      const families = await openMetrics(port);
      expect(sample(families, 'mcp_server_transport_errors_total', { error_type: 'SyntaxError', network_transport: 'pipe' })).toBe(1);
      expect(sample(families, 'mcp_server_operation_duration_seconds_count', { mcp_method_name: 'ping', network_transport: 'pipe' })).toBe(
        1,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);

  it('over Streamable HTTP: the same, with tcp, http, the session id on spans and the server address from the fetch middleware', async () => {
    tracer.reset();
    const { child, port } = await startExample(['--port', '0']);
    const clientMetrics = createMetrics();
    const client = instrumentClient(new Client({ name: 'e2e', version: '1.0.0' }), {
      metrics: clientMetrics,
      tracerProvider: tracer.provider,
    });
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      fetch: mcpFetchMiddleware(client)(fetch),
    });
    try {
      await client.connect(transport);
      const sessionId = transport.sessionId;
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      checkAnswers(await exercise(client));
      const families = await openMetrics(port);
      checkServerMetrics(families, 'tcp');
      expect(
        sample(families, 'mcp_server_operation_duration_seconds_count', { gen_ai_tool_name: 'fibonacci', network_protocol_name: 'http' }),
      ).toBe(1);
      const [clientFib] = seriesWith(await family(clientMetrics, 'mcp.client.operation.duration'), { 'gen_ai.tool.name': 'fibonacci' });
      expect(clientFib!.attrs).toMatchObject({ 'network.transport': 'tcp', 'server.address': '127.0.0.1', 'server.port': String(port) });
      await client.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await expect
        .poll(() => traces.spans.filter((s) => s.attributes['mcp.session.id'] === sessionId).length, { timeout: 15_000 })
        .toBeGreaterThan(5);
      checkTrace(traces.spans, tracer.spans(), sessionId);
    } finally {
      child.kill('SIGKILL');
      await clientMetrics.shutdown();
    }
  }, 180_000);
});
