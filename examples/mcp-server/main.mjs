// Runs the example MCP server (server.mjs).
//
//   node examples/mcp-server/main.mjs --port 8080            MCP over Streamable HTTP on /mcp, with /metrics, /healthz, /readyz
//   node examples/mcp-server/main.mjs --stdio --port 9464    MCP over stdio; the HTTP app serves /metrics, /healthz, /readyz
//
// With OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, spans go there (OTLP/HTTP).
// Script executions are logged to stderr as JSON lines. Needs the example
// components: npm run build:wasm.
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMetrics } from 'omnimeter';
import { createExample } from './server.mjs';

const args = process.argv.slice(2);
const stdio = args.includes('--stdio');
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : stdio ? undefined : 8080;

/** Spans to an OTLP endpoint when one is configured: the OpenTelemetry SDK, injected, never global. */
async function tracing() {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!endpoint) return undefined;
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  // Spans started inside a tool handler become children of its server span.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), { scheduledDelayMillis: 100 })],
  });
}

const tracerProvider = await tracing();
const metrics = createMetrics({ defaultLabels: { service: 'mcp-example' } });
const example = createExample({
  metrics,
  tracerProvider,
  log: (record) => process.stderr.write(`${JSON.stringify(record)}\n`),
});

let stdioServer;
if (stdio) {
  stdioServer = example.newServer();
  await stdioServer.connect(new StdioServerTransport());
}
if (port !== undefined) {
  const bound = await example.listen(port);
  process.stderr.write(`mcp example: http://127.0.0.1:${bound}/${stdio ? 'metrics' : 'mcp'}\n`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await stdioServer?.close();
  await example.close();
  await tracerProvider?.shutdown(); // flushes the spans
  await metrics.shutdown();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Over stdio the client owns the pipe: when it closes stdin, the session is over.
if (stdio) process.stdin.on('end', stop);
