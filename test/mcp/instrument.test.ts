/**
 * omnimeter/mcp against the real MCP SDK (both ends of the declared peer
 * range), over its in-memory transport: the conventions' metrics and
 * attributes, spans from a real OpenTelemetry tracer joined into one trace
 * through params._meta, error classification, rules and options.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../src/index.js';
import { MCP_DURATION_BUCKETS, instrumentClient, instrumentServer } from '../../src/mcp/index.js';
import type { McpInstrumentationOptions } from '../../src/mcp/index.js';
import {
  type ReadableSpan,
  SDK_PACKAGES,
  type Sdk,
  attributesOf,
  family,
  loadSdk,
  parentId,
  seriesWith,
  spanId,
  traceId,
  tracing,
  withAppSpan,
} from '../support/mcp.js';

const tracer = tracing();
afterAll(() => tracer.stop());
afterEach(() => tracer.reset());

/** A server with tools that succeed, fail in each way, take time; a prompt and a resource. */
function buildServer(sdk: Sdk) {
  const server = new sdk.McpServer({ name: 'test-server', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => {
    // A span the handler starts: it must be a child of the server span.
    tracer.provider.getTracer('handler').startSpan('inside echo', {}, context.active()).end();
    return { content: [{ type: 'text' as const, text }] };
  });
  server.registerTool('throws', { description: 'Throws' }, async () => {
    throw new Error('tool blew up');
  });
  server.registerTool('refuses', { description: 'Reports an error in its result' }, async () => ({
    isError: true,
    content: [{ type: 'text' as const, text: 'no' }],
  }));
  server.registerTool('slow', { description: 'Waits', inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    await sleep(ms, undefined, { signal: extra.signal }).catch(() => undefined);
    return { content: [{ type: 'text' as const, text: 'done' }] };
  });
  server.registerTool('meta', { description: 'Returns the _meta it received' }, async (extra) => ({
    content: [{ type: 'text' as const, text: JSON.stringify(extra._meta ?? {}) }],
  }));
  server.registerPrompt('greet', { description: 'Greets', argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user' as const, content: { type: 'text' as const, text: `Hello ${name}` } }],
  }));
  server.registerResource('readme', 'file:///readme.md', { description: 'A file' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'read me' }],
  }));
  return server;
}

async function connect(
  sdk: Sdk,
  options: { server?: McpInstrumentationOptions; client?: McpInstrumentationOptions; instrumentAfterConnect?: boolean },
) {
  const server = buildServer(sdk);
  const client = new sdk.Client({ name: 'test-client', version: '1.0.0' });
  if (options.server && !options.instrumentAfterConnect) instrumentServer(server, options.server);
  if (options.client && !options.instrumentAfterConnect) instrumentClient(client, options.client);
  const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  if (options.instrumentAfterConnect) {
    if (options.server) instrumentServer(server, options.server);
    if (options.client) instrumentClient(client, options.client);
  }
  return { server, client };
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

describe.each(SDK_PACKAGES)('with %s', (pkg) => {
  let sdk: Sdk;
  beforeAll(async () => {
    sdk = await loadSdk(pkg);
  });

  it('records both sides of a tool call and joins client, server and handler spans in one trace', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics, tracerProvider: tracer.provider },
      client: { metrics, tracerProvider: tracer.provider },
    });
    const result = await withAppSpan(tracer.provider, 'agent turn', () => client.callTool({ name: 'echo', arguments: { text: 'hi' } }));
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);

    const meta = await withAppSpan(tracer.provider, 'meta turn', () => client.callTool({ name: 'meta', arguments: {} }));
    const sent = JSON.parse((meta.content as { text: string }[])[0]!.text) as { traceparent: string };
    const [metaClient] = tracer.spans().filter((s) => s.name === 'tools/call meta' && s.kind === SpanKind.CLIENT);
    expect(sent.traceparent).toBe(`00-${traceId(metaClient!)}-${spanId(metaClient!)}-01`);

    const spans = tracer.spans();
    const [app] = byName(spans, 'agent turn');
    const [clientSpan] = spans.filter((s) => s.name === 'tools/call echo' && s.kind === SpanKind.CLIENT);
    const [serverSpan] = spans.filter((s) => s.name === 'tools/call echo' && s.kind === SpanKind.SERVER);
    const [inner] = byName(spans, 'inside echo');
    expect([app, clientSpan, serverSpan, inner].every(Boolean)).toBe(true);
    // One trace: app → client span → (params._meta) → server span → handler's span.
    expect(new Set([app, clientSpan, serverSpan, inner].map((s) => traceId(s!))).size).toBe(1);
    expect(parentId(clientSpan!)).toBe(spanId(app!));
    expect(parentId(serverSpan!)).toBe(spanId(clientSpan!));
    expect(parentId(inner!)).toBe(spanId(serverSpan!));
    for (const span of [clientSpan!, serverSpan!]) {
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'echo',
        'gen_ai.operation.name': 'execute_tool',
        'jsonrpc.protocol.version': '2.0',
        'mcp.protocol.version': sdk.LATEST_PROTOCOL_VERSION,
      });
      expect(span.attributes['jsonrpc.request.id']).toMatch(/^\d+$/);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      // Arguments and results are opt-in.
      expect(span.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
      expect(span.attributes['gen_ai.tool.call.result']).toBeUndefined();
    }
    // initialize and tools/call each have both spans; notifications/initialized is a client span and a server span.
    expect(
      spans
        .filter((s) => s.name === 'initialize')
        .map((s) => s.kind)
        .sort(),
    ).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    expect(byName(spans, 'notifications/initialized')).toHaveLength(2);
    // initialize learns the protocol version only from its response: both of its spans get it at the end.
    for (const span of byName(spans, 'initialize')) expect(span.attributes['mcp.protocol.version']).toBe(sdk.LATEST_PROTOCOL_VERSION);

    const expected = {
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
      'mcp.protocol.version': sdk.LATEST_PROTOCOL_VERSION,
      'jsonrpc.protocol.version': '2.0',
    };
    for (const side of ['server', 'client']) {
      const [series, ...more] = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'gen_ai.tool.name': 'echo' });
      expect(more).toEqual([]);
      // Exactly the conventions' attributes: no session id, no request id, no error.type on success.
      expect(attributesOf(series!)).toEqual(expected);
      expect(series!.count).toBe(1);
      const calls = seriesWith(await family(metrics, `mcp.${side}.tool.calls`), { 'gen_ai.tool.name': 'echo' });
      expect(calls.map((s) => [attributesOf(s), s.value])).toEqual([[{ 'gen_ai.tool.name': 'echo', outcome: 'success' }, 1]]);
      const [initialize] = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'mcp.method.name': 'initialize' });
      expect(initialize!.attrs['mcp.protocol.version']).toBe(sdk.LATEST_PROTOCOL_VERSION);
    }
    const histogram = await family(metrics, 'mcp.server.operation.duration');
    expect(histogram).toMatchObject({ type: 'histogram', unit: 's', buckets: MCP_DURATION_BUCKETS });
    expect(seriesWith(await family(metrics, 'mcp.server.active_requests'), {}).every((s) => s.value === 0)).toBe(true);
    expect(seriesWith(await family(metrics, 'mcp.server.active_sessions'), {}).map((s) => s.value)).toEqual([1]);

    await client.close();
    await server.close();
    expect(seriesWith(await family(metrics, 'mcp.server.active_sessions'), {}).map((s) => s.value)).toEqual([0]);
    expect(seriesWith(await family(metrics, 'mcp.client.session.duration'), {}).map((s) => s.count)).toEqual([1]);
    expect(seriesWith(await family(metrics, 'mcp.server.session.duration'), {}).map((s) => s.count)).toEqual([1]);
    await metrics.shutdown();
  });

  it('classifies errors as the wire says: JSON-RPC codes, tool_error, timeout, cancelled', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics, tracerProvider: tracer.provider },
      client: { metrics, tracerProvider: tracer.provider },
    });
    // What the client sees for each call decides what the metrics must say.
    const outcome = async (call: () => Promise<unknown>): Promise<string> => {
      try {
        const result = (await call()) as { isError?: boolean };
        return result.isError ? 'tool_error' : 'ok';
      } catch (error) {
        return String((error as { code: number }).code);
      }
    };
    const seen = {
      throws: await outcome(() => client.callTool({ name: 'throws', arguments: {} })),
      refuses: await outcome(() => client.callTool({ name: 'refuses', arguments: {} })),
      badArgs: await outcome(() => client.callTool({ name: 'echo', arguments: { text: 42 } })),
      missing: await outcome(() => client.callTool({ name: 'no-such-tool', arguments: {} })),
      method: await outcome(() => client.request({ method: 'no/such/method', params: {} }, sdk.CallToolResultSchema)),
      noName: await outcome(() => client.request({ method: 'tools/call', params: { arguments: {} } } as never, sdk.CallToolResultSchema)),
    };
    expect(seen.noName).toMatch(/^-326\d\d$/); // the SDK answers a JSON-RPC error (1.23 and 1.32: -32603)
    expect(seen.refuses).toBe('tool_error');
    expect(seen.method).toBe('-32601');
    for (const key of ['throws', 'badArgs', 'missing'] as const) expect(seen[key]).toMatch(/^(tool_error|-326\d\d)$/);

    const errorTypeOf = async (side: string, tool: string) => {
      const series = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'gen_ai.tool.name': tool });
      expect(series).toHaveLength(1);
      return [series[0]!.attrs['error.type'], series[0]!.attrs['rpc.response.status_code']];
    };
    const expectedFor = (s: string) => (s === 'tool_error' ? ['tool_error', undefined] : [s, s]);
    for (const side of ['server', 'client']) {
      expect(await errorTypeOf(side, 'throws')).toEqual(expectedFor(seen.throws));
      expect(await errorTypeOf(side, 'refuses')).toEqual(expectedFor(seen.refuses));
      expect(await errorTypeOf(side, 'no-such-tool')).toEqual(expectedFor(seen.missing));
      const [method] = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'mcp.method.name': 'no/such/method' });
      expect([method!.attrs['error.type'], method!.attrs['rpc.response.status_code']]).toEqual(['-32601', '-32601']);
      // A tools/call without a tool name: no gen_ai.tool.name, the code of the JSON-RPC error.
      const invalid = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), {
        'mcp.method.name': 'tools/call',
        'error.type': seen.noName,
      });
      expect(invalid.map((s) => [s.attrs['gen_ai.tool.name'], s.attrs['rpc.response.status_code']])).toEqual([[undefined, seen.noName]]);
      const outcomes = seriesWith(await family(metrics, `mcp.${side}.tool.calls`), { 'gen_ai.tool.name': 'refuses' });
      expect(outcomes.map((s) => s.attrs.outcome)).toEqual(['tool_error']);
    }
    const [methodSpan] = tracer.spans().filter((s) => s.name === 'no/such/method' && s.kind === SpanKind.SERVER);
    expect(methodSpan!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Method not found' });
    const [refusedSpan] = tracer.spans().filter((s) => s.name === 'tools/call refuses' && s.kind === SpanKind.CLIENT);
    expect(refusedSpan!.status.code).toBe(SpanStatusCode.ERROR);
    expect(refusedSpan!.attributes['error.type']).toBe('tool_error');

    // The client gives up after 100 ms: the SDK sends notifications/cancelled with its timeout reason.
    await expect(client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, undefined, { timeout: 100 })).rejects.toMatchObject({
      code: -32001,
    });
    // An AbortSignal cancels another.
    const abort = new AbortController();
    const cancelled = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('changed my mind'), 50);
    await expect(cancelled).rejects.toBeDefined();
    await sleep(20); // the server handles the cancellation notification
    for (const side of ['server', 'client']) {
      const slow = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'gen_ai.tool.name': 'slow' });
      expect(slow.map((s) => s.attrs['error.type']).sort()).toEqual(['cancelled', 'timeout']);
      expect(slow.every((s) => s.attrs['rpc.response.status_code'] === undefined)).toBe(true);
      expect(seriesWith(await family(metrics, `mcp.${side}.active_requests`), {}).every((s) => s.value === 0)).toBe(true);
    }
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('ends requests in flight when the transport closes (connection_closed)', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, { server: { metrics }, client: { metrics } });
    const pending = client.callTool({ name: 'slow', arguments: { ms: 5_000 } });
    await sleep(30);
    await client.close();
    await expect(pending).rejects.toBeDefined();
    for (const side of ['server', 'client']) {
      const [slow] = seriesWith(await family(metrics, `mcp.${side}.operation.duration`), { 'gen_ai.tool.name': 'slow' });
      expect(slow!.attrs['error.type']).toBe('connection_closed');
      expect(seriesWith(await family(metrics, `mcp.${side}.active_requests`), {}).every((s) => s.value === 0)).toBe(true);
    }
    await server.close();
    await metrics.shutdown();
  });

  it('names prompt operations by prompt; resource URIs on spans always, on metrics only when opted in', async () => {
    for (const resourceUriMetrics of [false, true]) {
      const metrics = createMetrics();
      const { client, server } = await connect(sdk, { server: { metrics, tracerProvider: tracer.provider, resourceUriMetrics } });
      await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
      await client.readResource({ uri: 'file:///readme.md' });
      const [prompt] = seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'mcp.method.name': 'prompts/get' });
      expect(prompt!.attrs['gen_ai.prompt.name']).toBe('greet');
      expect(prompt!.attrs['gen_ai.operation.name']).toBeUndefined(); // only tool calls are execute_tool
      const [read] = seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'mcp.method.name': 'resources/read' });
      expect(read!.attrs['mcp.resource.uri']).toBe(resourceUriMetrics ? 'file:///readme.md' : undefined);
      const spans = tracer.spans();
      expect(byName(spans, 'prompts/get greet')).toHaveLength(1);
      // The URI is not in the span name (high cardinality) but is an attribute.
      expect(byName(spans, 'resources/read')[0]!.attributes['mcp.resource.uri']).toBe('file:///readme.md');
      tracer.reset();
      await client.close();
      await server.close();
      await metrics.shutdown();
    }
  });

  it('include/exclude rules by method and tool; excluded operations carry no trace context', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics, exclude: [{ method: 'notifications/*' }, { tool: 'sl*' }] },
      client: {
        metrics,
        tracerProvider: tracer.provider,
        include: [{ method: 'tools/*' }],
        exclude: [{ tool: 'refuses' }, { tool: 'meta' }],
      },
    });
    // An excluded call sends its params untouched: no traceparent even inside an application span.
    const meta = await withAppSpan(tracer.provider, 'app', () => client.callTool({ name: 'meta', arguments: {} }));
    expect(JSON.parse((meta.content as { text: string }[])[0]!.text)).not.toHaveProperty('traceparent');
    tracer.reset();
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await client.callTool({ name: 'refuses', arguments: {} });
    await client.callTool({ name: 'slow', arguments: { ms: 1 } });
    const serverMethods = seriesWith(await family(metrics, 'mcp.server.operation.duration'), {}).map(
      (s) => s.attrs['gen_ai.tool.name'] ?? s.attrs['mcp.method.name'],
    );
    expect(serverMethods.sort()).toEqual(['echo', 'initialize', 'meta', 'refuses']);
    const clientMethods = seriesWith(await family(metrics, 'mcp.client.operation.duration'), {}).map((s) => s.attrs['gen_ai.tool.name']);
    expect(clientMethods.sort()).toEqual(['echo', 'slow']);
    expect(
      tracer
        .spans()
        .filter((s) => s.name.startsWith('tools/'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['tools/call echo', 'tools/call slow']);
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('legacy attributes next to the conventions', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics, legacyAttributes: true },
      client: { metrics, legacyAttributes: { 'gen_ai.tool.name': 'tool' } },
    });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const [serverSeries] = seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'mcp.method.name': 'tools/call' });
    expect(serverSeries!.attrs).toMatchObject({ 'gen_ai.tool.name': 'echo', tool_name: 'echo' });
    const [calls] = seriesWith(await family(metrics, 'mcp.server.tool.calls'), {});
    expect(calls!.attrs).toMatchObject({ 'gen_ai.tool.name': 'echo', tool_name: 'echo', outcome: 'success' });
    const [clientSeries] = seriesWith(await family(metrics, 'mcp.client.operation.duration'), { 'mcp.method.name': 'tools/call' });
    expect(clientSeries!.attrs).toMatchObject({ 'gen_ai.tool.name': 'echo', tool: 'echo' });
    expect(clientSeries!.attrs.tool_name).toBeUndefined();
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('records tool arguments and results on spans only when configured', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics, tracerProvider: tracer.provider, recordToolArguments: true, recordToolResults: true },
      client: { tracerProvider: tracer.provider },
    });
    await client.callTool({ name: 'echo', arguments: { text: 'payload-42' } });
    const [serverSpan] = tracer.spans().filter((s) => s.kind === SpanKind.SERVER && s.name === 'tools/call echo');
    expect(JSON.parse(serverSpan!.attributes['gen_ai.tool.call.arguments'] as string)).toEqual({ text: 'payload-42' });
    expect(JSON.parse(serverSpan!.attributes['gen_ai.tool.call.result'] as string)).toMatchObject({
      content: [{ type: 'text', text: 'payload-42' }],
    });
    const [clientSpan] = tracer.spans().filter((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call echo');
    expect(JSON.stringify(clientSpan!.attributes)).not.toContain('payload-42');
    expect(await metrics.registry.expose('openmetrics')).not.toContain('payload-42');
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('counts message bytes in UTF-8, by direction', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, { server: { metrics } });
    const sizes = async () =>
      Object.fromEntries(
        seriesWith(await family(metrics, 'mcp.server.message.size'), { 'mcp.method.name': 'tools/call' }).map((s) => [
          s.attrs['network.io.direction'],
          [s.count, s.sum],
        ]),
      );
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    const ascii = await sizes();
    await client.callTool({ name: 'echo', arguments: { text: '€' } }); // 3 bytes in UTF-8, 1 code unit
    const euro = await sizes();
    expect(euro.receive![0]).toBe(2);
    expect(euro.transmit![0]).toBe(2);
    // Same messages but for one character: 2 more bytes each way (ids are one digit in both).
    expect(euro.receive![1]! - ascii.receive![1]!).toBe(ascii.receive![1]! + 2);
    expect(euro.transmit![1]! - ascii.transmit![1]!).toBe(ascii.transmit![1]! + 2);
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('message sizes are the UTF-8 bytes of JSON.stringify of each message crossing the transport', async () => {
    // The judge is V8's JSON.stringify and Buffer.byteLength on the messages as they cross:
    // what the client sends is what the server receives, what reaches the client is what the server sent.
    const metrics = createMetrics();
    const server = buildServer(sdk);
    instrumentServer(server, { metrics });
    const client = new sdk.Client({ name: 'test-client', version: '1.0.0' });
    const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
    const bytes = { receive: 0, transmit: 0 };
    const send = clientTransport.send.bind(clientTransport);
    clientTransport.send = (message, options) => {
      bytes.receive += Buffer.byteLength(JSON.stringify(message));
      return send(message, options);
    };
    const serverSend = serverTransport.send.bind(serverTransport);
    serverTransport.send = (message, options) => {
      bytes.transmit += Buffer.byteLength(JSON.stringify(message));
      return serverSend(message, options);
    };
    await server.connect(serverTransport);
    await client.connect(clientTransport);
    for (const text of ['plain', 'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f', 'é € 😀 日本', 'lone \ud800 and \udc00'])
      await client.callTool({ name: 'echo', arguments: { text } });
    await client.callTool({ name: 'refuses', arguments: {} });
    await client.getPrompt({ name: 'greet', arguments: { name: 'Zoë' } });
    await client.callTool({ name: 'no-such-tool', arguments: { n: -1.5e-7, big: 1.2345678901234567e19 } });
    const series = (await family(metrics, 'mcp.server.message.size'))?.series ?? [];
    const sum = (direction: string) =>
      series.filter((s) => s.labels.some(([k, v]) => k === 'network.io.direction' && v === direction)).reduce((t, s) => t + s.sum!, 0);
    expect(sum('receive')).toBe(bytes.receive);
    expect(sum('transmit')).toBe(bytes.transmit);
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('keeps recording exactly past the bounded attribute caches (1,100 distinct tools)', async () => {
    const metrics = createMetrics();
    const server = new sdk.Server({ name: 'many', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(sdk.CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text' as const, text: request.params.name }],
      isError: request.params.name.endsWith('7'),
    }));
    instrumentServer(server, { metrics, legacyAttributes: true });
    const client = new sdk.Client({ name: 'c', version: '1.0.0' });
    const [clientSide, serverSide] = sdk.InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    for (let i = 0; i < 1100; i++) await client.callTool({ name: `tool-${i}`, arguments: {} });
    await client.callTool({ name: 'tool-1099', arguments: {} });
    const calls = await family(metrics, 'mcp.server.tool.calls');
    expect(calls?.series.length).toBe(1100);
    for (const [name, outcome, value] of [
      ['tool-0', 'success', 1],
      ['tool-7', 'tool_error', 1],
      ['tool-1099', 'success', 2],
      ['tool-1097', 'tool_error', 1],
    ] as const) {
      const [one] = seriesWith(calls, { 'gen_ai.tool.name': name });
      expect(attributesOf(one!)).toEqual({ 'gen_ai.tool.name': name, outcome, tool_name: name });
      expect(one!.value).toBe(value);
    }
    const durations = seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'gen_ai.tool.name': 'tool-1099' });
    expect(durations.map((s) => s.count)).toEqual([2]);
    expect(attributesOf(durations[0]!)).toMatchObject({
      'mcp.method.name': 'tools/call',
      tool_name: 'tool-1099',
      'mcp.protocol.version': expect.any(String),
    });
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('keeps counting into series the idle sweep dropped (the sessions hold bound series, as labels() handles are)', async () => {
    let nowMs = 0;
    const metrics = createMetrics({ seriesTtlSeconds: 60, clock: { now: () => nowMs } });
    const server = buildServer(sdk);
    instrumentServer(server, { metrics });
    const client = new sdk.Client({ name: 'c', version: '1.0.0' });
    const [clientSide, serverSide] = sdk.InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    const echoCalls = async () => seriesWith(await family(metrics, 'mcp.server.tool.calls'), { 'gen_ai.tool.name': 'echo' });
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    expect((await echoCalls()).map((s) => s.value)).toEqual([1]);
    nowMs += 120_000; // idle past the TTL: the next collection drops the series
    expect(await echoCalls()).toEqual([]);
    await client.callTool({ name: 'echo', arguments: { text: 'b' } });
    await client.callTool({ name: 'echo', arguments: { text: 'c' } });
    expect((await echoCalls()).map((s) => s.value)).toEqual([3]);
    const durations = seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'gen_ai.tool.name': 'echo' });
    expect(durations.map((s) => s.count)).toEqual([3]);
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('instruments the low-level Server (setRequestHandler) as it does McpServer', async () => {
    const metrics = createMetrics();
    const server = new sdk.Server({ name: 'low-level', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(sdk.CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text' as const, text: `called ${request.params.name}` }],
      isError: request.params.name === 'bad',
    }));
    instrumentServer(server, { metrics });
    const client = new sdk.Client({ name: 'c', version: '1.0.0' });
    const [clientSide, serverSide] = sdk.InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    await client.callTool({ name: 'good', arguments: {} });
    await client.callTool({ name: 'bad', arguments: {} });
    const calls = seriesWith(await family(metrics, 'mcp.server.tool.calls'), {});
    expect(calls.map((s) => [s.attrs['gen_ai.tool.name'], s.attrs.outcome]).sort()).toEqual([
      ['bad', 'tool_error'],
      ['good', 'success'],
    ]);
    await client.close();
    await server.close();
    await metrics.shutdown();
  });

  it('instruments a server and client that are already connected', async () => {
    const metrics = createMetrics();
    const { client, server } = await connect(sdk, {
      server: { metrics },
      client: { metrics, tracerProvider: tracer.provider },
      instrumentAfterConnect: true,
    });
    await client.callTool({ name: 'echo', arguments: { text: 'late' } });
    expect(seriesWith(await family(metrics, 'mcp.server.operation.duration'), { 'gen_ai.tool.name': 'echo' })).toHaveLength(1);
    expect(byName(tracer.spans(), 'tools/call echo')).toHaveLength(1);
    await client.close();
    await server.close();
    expect(seriesWith(await family(metrics, 'mcp.server.session.duration'), {}).map((s) => s.count)).toEqual([1]);
    await metrics.shutdown();
  });

  it('records into an OpenTelemetry SDK MeterProvider with the conventions’ names, units, buckets and attributes', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { client, server } = await connect(sdk, { server: { meterProvider } });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await client.callTool({ name: 'refuses', arguments: {} });
    await reader.forceFlush();
    const scopes = exporter.getMetrics().at(-1)!.scopeMetrics;
    expect(scopes.map((s) => s.scope.name)).toEqual(['omnimeter/mcp']);
    const metric = scopes[0]!.metrics.find((m) => m.descriptor.name === 'mcp.server.operation.duration')!;
    expect(metric.descriptor).toMatchObject({ unit: 's', type: 'HISTOGRAM' });
    const points = metric.dataPoints.filter((p) => p.attributes['mcp.method.name'] === 'tools/call');
    expect(
      points.map((p) => p.attributes).sort((a, b) => String(a['gen_ai.tool.name']).localeCompare(String(b['gen_ai.tool.name']))),
    ).toEqual([
      {
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'echo',
        'mcp.protocol.version': sdk.LATEST_PROTOCOL_VERSION,
        'jsonrpc.protocol.version': '2.0',
      },
      {
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'refuses',
        'mcp.protocol.version': sdk.LATEST_PROTOCOL_VERSION,
        'jsonrpc.protocol.version': '2.0',
        'error.type': 'tool_error',
      },
    ]);
    expect((points[0]!.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([...MCP_DURATION_BUCKETS]);
    const names = scopes[0]!.metrics.map((m) => `${m.descriptor.name} ${m.descriptor.unit}`).sort();
    expect(names).toEqual([
      'mcp.server.active_requests {request}',
      'mcp.server.active_sessions {session}',
      'mcp.server.message.size By',
      'mcp.server.operation.duration s',
      'mcp.server.tool.calls {call}',
    ]);
    await client.close();
    await server.close();
    await meterProvider.shutdown();
  });
});

describe('zero overhead when there is nothing to record', () => {
  it('leaves the SDK objects untouched when metrics are disabled and no tracer is given', async () => {
    const sdk = await loadSdk('@modelcontextprotocol/sdk');
    const metrics = createMetrics({ enabled: false });
    const server = buildServer(sdk);
    const client = new sdk.Client({ name: 'c', version: '1' });
    expect(instrumentServer(server, { metrics })).toBe(server);
    expect(instrumentClient(client, { metrics })).toBe(client);
    expect(Object.hasOwn(server.server, 'connect')).toBe(false);
    expect(Object.hasOwn(client, 'connect')).toBe(false);
    const [a, b] = sdk.InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    expect(Object.hasOwn(b, 'send')).toBe(false);
    await client.close();
    await server.close();
  });

  it('with a tracer but metrics disabled: spans, and no metric registered', async () => {
    const sdk = await loadSdk('@modelcontextprotocol/sdk');
    const metrics = createMetrics({ enabled: false });
    const { client, server } = await connect(sdk, { server: { metrics, tracerProvider: tracer.provider } });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(byName(tracer.spans(), 'tools/call echo')).toHaveLength(1);
    expect((await metrics.registry.collect()).filter((f) => f.name.startsWith('mcp.'))).toEqual([]);
    await client.close();
    await server.close();
  });
});

describe('options are checked', () => {
  it('names the option and the value', async () => {
    const sdk = await loadSdk('@modelcontextprotocol/sdk');
    const server = buildServer(sdk);
    const metrics = createMetrics();
    expect(() => instrumentServer(server, { metrics, include: [{ methd: 'x' } as never] })).toThrow(
      'include[0].methd: expected no such key',
    );
    expect(() => instrumentServer(server, { metrics, exclude: [{}] })).toThrow('exclude[0]: expected a rule naming a method or a tool');
    expect(() => instrumentServer(server, { metrics, messageSizes: 'yes' as never })).toThrow(
      'messageSizes: expected a boolean, got "yes"',
    );
    expect(() => instrumentServer(server, { metrics, legacyAttributes: { 'gen_ai.tool.name': '' } })).toThrow(
      'legacyAttributes.gen_ai.tool.name',
    );
    expect(() => instrumentServer({} as never, { metrics })).toThrow('instrumentServer: expected an MCP SDK Server, McpServer or Client');
    instrumentServer(server, { metrics });
    expect(() => instrumentServer(server, { metrics })).toThrow('already instrumented');
    await metrics.shutdown();
  });
});
