/**
 * The MCP SDK under test, in each version of the declared peer range, and a
 * real OpenTelemetry tracer (sdk-trace-base) whose spans the tests read.
 */
import { type Context, type ContextManager, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FamilySnapshot, SeriesSnapshot } from '../../src/api/snapshot.js';
import type { Metrics } from '../../src/api/metrics.js';

/** A finished span as the SDK's exporters receive it. */
export type ReadableSpan = ReturnType<InMemorySpanExporter['getFinishedSpans']>[number];

/** The SDK's modules, loaded from one installed copy. */
export interface Sdk {
  version: string;
  McpServer: typeof import('@modelcontextprotocol/sdk/server/mcp.js').McpServer;
  Server: typeof import('@modelcontextprotocol/sdk/server/index.js').Server;
  Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
  InMemoryTransport: typeof import('@modelcontextprotocol/sdk/inMemory.js').InMemoryTransport;
  McpError: typeof import('@modelcontextprotocol/sdk/types.js').McpError;
  CallToolResultSchema: typeof import('@modelcontextprotocol/sdk/types.js').CallToolResultSchema;
  CallToolRequestSchema: typeof import('@modelcontextprotocol/sdk/types.js').CallToolRequestSchema;
  LATEST_PROTOCOL_VERSION: string;
}

/** Both ends of the peer range package.json declares: the newest 1.x pinned as a devDependency, and 1.23.0 (npm alias). */
export const SDK_PACKAGES = ['@modelcontextprotocol/sdk', 'mcp-sdk-1-23'] as const;

export async function loadSdk(pkg: (typeof SDK_PACKAGES)[number]): Promise<Sdk> {
  const [mcp, server, client, memory, types, manifest] = await Promise.all([
    import(`${pkg}/server/mcp.js`),
    import(`${pkg}/server/index.js`),
    import(`${pkg}/client/index.js`),
    import(`${pkg}/inMemory.js`),
    import(`${pkg}/types.js`),
    import(`${pkg}/package.json`, { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } })),
  ]);
  return {
    version: (manifest.default as { version: string }).version,
    McpServer: mcp.McpServer,
    Server: server.Server,
    Client: client.Client,
    InMemoryTransport: memory.InMemoryTransport,
    McpError: types.McpError,
    CallToolResultSchema: types.CallToolResultSchema,
    CallToolRequestSchema: types.CallToolRequestSchema,
    LATEST_PROTOCOL_VERSION: types.LATEST_PROTOCOL_VERSION,
  };
}

/** A real tracer provider recording into memory, and an async-hooks context manager (what Node apps register). */
export function tracing(): { provider: BasicTracerProvider; spans: () => ReadableSpan[]; reset: () => void; stop: () => void } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager: ContextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    provider,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    stop: () => {
      context.disable();
      void provider.shutdown();
    },
  };
}

/** Runs `fn` inside a fresh span of `provider` (the application's own span, parent of the client span). */
export function withAppSpan<T>(provider: BasicTracerProvider, name: string, fn: (ctx: Context) => Promise<T>): Promise<T> {
  return provider.getTracer('app').startActiveSpan(name, async (span) => {
    try {
      return await fn(context.active());
    } finally {
      span.end();
    }
  });
}

export const spanId = (span: ReadableSpan) => span.spanContext().spanId;
export const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;
export const traceId = (span: ReadableSpan) => span.spanContext().traceId;
export const activeSpanId = () => trace.getActiveSpan()?.spanContext().spanId;

/** A family of the registry, by name as written. */
export async function family(metrics: Metrics, name: string): Promise<FamilySnapshot | undefined> {
  return (await metrics.registry.collect()).find((f) => f.name === name);
}

/** The series of a family whose labels include `match`, as plain label objects. */
export function seriesWith(
  family: FamilySnapshot | undefined,
  match: Record<string, string>,
): (SeriesSnapshot & { attrs: Record<string, string> })[] {
  return (family?.series ?? [])
    .map((s) => ({ ...s, attrs: Object.fromEntries(s.labels) }))
    .filter((s) => Object.entries(match).every(([k, v]) => s.attrs[k] === v));
}

/** The labels of a series without the bridge's scope labels. */
export function attributesOf(series: { attrs: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(Object.entries(series.attrs).filter(([k]) => !k.startsWith('otel_scope_')));
}
