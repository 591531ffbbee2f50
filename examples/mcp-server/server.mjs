// An MCP server built with the SDK and instrumented with omnimeter: a few
// tools, two of them WebAssembly components run under omnimeter's host (so
// the MCP view and the sandbox view of a call carry the same tool name), an
// `execute_tool_script` tool whose scripts are components calling the other
// tools, and /metrics, /healthz and /readyz on its own HTTP app beside /mcp
// (Streamable HTTP). main.mjs runs it over stdio or HTTP; docs/mcp.md reads
// its dashboard.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { negotiateFormat } from 'omnimeter';
import { WasmScriptEngine, instrumentEngine, scriptTools } from 'omnimeter/execution';
import { ComponentHost, readComponent } from 'omnimeter/host';
import { instrumentServer } from 'omnimeter/mcp';
import { createMeterProvider } from 'omnimeter/otel';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The example components, built from source by `npm run build:wasm` into .cache/wasm/. */
const built = (name) => join(ROOT, '.cache', 'wasm', name);

/** The script `execute_tool_script` runs when the caller sends none: wasm/examples/demo-script.ts. */
export const DEMO_SCRIPT = () => readFileSync(join(built('demo-script'), 'demo-script.component.wasm'));

const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });

/**
 * The example's tools and the objects behind them. Components are loaded
 * under the tool's name, so `omnimeter_wasm_invocations_total{component="fibonacci"}`
 * (the sandbox) and `mcp_server_operation_duration_seconds_count{gen_ai_tool_name="fibonacci"}`
 * (MCP) describe the same calls.
 */
function tools(host) {
  const fibonacci = host.load({ ...readComponent(join(built('cpu-tool'), 'js')), name: 'fibonacci' }).instantiate();
  const json = host.load({ ...readComponent(join(built('json-tool'), 'js')), name: 'count_json_values' }).instantiate();
  return {
    echo: {
      description: 'Returns its text.',
      input: { text: z.string() },
      run: async ({ text }) => text,
    },
    uppercase: {
      description: 'Returns its text in capitals.',
      input: { text: z.string() },
      run: async ({ text }) => text.toUpperCase(),
    },
    fibonacci: {
      description: 'The n-th Fibonacci number, computed in a WebAssembly component (cpu-tool).',
      input: { n: z.number().int().min(0).max(40) },
      run: async ({ n }) => String(fibonacci.call('fib', n, 1)),
    },
    count_json_values: {
      description: 'Counts the scalar values of a JSON document, in a WebAssembly component (json-tool).',
      input: { document: z.string() },
      run: async ({ document }) => {
        const count = json.call('count-values', document);
        if (count < 0) throw new Error('the document is not well-formed JSON');
        return String(count);
      },
    },
    slow: {
      description: 'Waits `ms` milliseconds (cancellable).',
      input: { ms: z.number().int().min(0).max(600_000) },
      run: async ({ ms }, signal) => {
        await sleep(ms, undefined, { signal });
        return `waited ${ms} ms`;
      },
    },
    fail: {
      description: 'Always fails.',
      input: {},
      run: async () => {
        throw new Error('this tool always fails');
      },
    },
  };
}

/**
 * Builds the example on `metrics` (an omnimeter instance): `newServer()`
 * makes an instrumented McpServer (one per Streamable HTTP session, or one
 * for stdio), `listen(port)` serves /mcp, /metrics, /healthz and /readyz.
 */
export function createExample({ metrics, tracerProvider, log = () => {}, scriptCacheDir = join(tmpdir(), 'omnimeter-example-scripts') }) {
  const host = new ComponentHost({ metrics, tracerProvider });
  const registry = tools(host);
  const shape = Object.fromEntries(Object.entries(registry).map(([name, tool]) => [name, z.object(tool.input)]));

  // Scripts call the same tools, in process, through the engine's host import.
  const callInner = async (name, args) => {
    // The name comes from the script: only the registry's own keys are tools (not `constructor`, `__proto__`...).
    const tool = Object.hasOwn(registry, name) ? registry[name] : undefined;
    if (!tool) throw new Error(`no tool named ${name}`);
    return tool.run(shape[name].parse(args), undefined);
  };
  const engine = instrumentEngine(new WasmScriptEngine({ cacheDir: scriptCacheDir }), {
    meterProvider: createMeterProvider(metrics),
    tracerProvider,
    log,
  });
  const demoScript = DEMO_SCRIPT();

  function newServer() {
    const server = instrumentServer(new McpServer({ name: 'omnimeter-example', version: '1.0.0' }), {
      metrics,
      tracerProvider,
      legacyAttributes: true,
    });
    for (const [name, tool] of Object.entries(registry)) {
      server.registerTool(name, { description: tool.description, inputSchema: tool.input }, async (args, extra) =>
        text(await tool.run(args, extra.signal)),
      );
    }
    server.registerTool(
      'execute_tool_script',
      {
        description:
          'Runs a script (a WebAssembly component of world omnimeter:examples/demo-script, base64) that calls the other tools; without `script`, the demo script, steered by `input`.',
        inputSchema: {
          input: z.string(),
          script: z.string().optional(),
          timeoutMs: z.number().int().min(1).max(60_000).optional(),
          maxSteps: z.number().int().min(1).max(100_000).optional(),
        },
      },
      async ({ input, script, timeoutMs, maxSteps }, extra) => {
        const result = await engine.execute({
          script: script === undefined ? demoScript : Buffer.from(script, 'base64'),
          input,
          sessionId: extra.sessionId,
          tools: scriptTools(callInner, Object.keys(registry)),
          limits: { timeoutMs: timeoutMs ?? 5_000, maxSteps: maxSteps ?? 1_000 },
        });
        if (result.status === 'success') return text(result.output);
        return { isError: true, content: [{ type: 'text', text: `script ${result.status}: ${result.error?.message ?? ''}` }] };
      },
    );
    return server;
  }

  /** Streamable HTTP sessions by id, each with its own server. */
  const sessions = new Map();
  let closing = false;

  async function handleMcp(req, res) {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      if (req.method !== 'POST' || id !== undefined) {
        res.writeHead(id === undefined ? 400 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no such session' }, id: null }));
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => sessions.set(sessionId, transport),
      });
      transport.onclose = () => sessions.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  }

  async function handle(req, res) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/mcp') return handleMcp(req, res);
    if (req.method !== 'GET') return res.writeHead(405).end();
    if (path === '/metrics') {
      const format = negotiateFormat(req.headers.accept);
      const body = await metrics.registry.expose(format);
      return res.writeHead(200, { 'content-type': metrics.registry.contentType(format) }).end(body);
    }
    if (path === '/healthz') return res.writeHead(200, { 'content-type': 'text/plain' }).end('alive\n');
    if (path === '/readyz')
      return closing
        ? res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready: shutting down\n')
        : res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
    res.writeHead(404).end();
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${error.name}\n`);
    });
  });

  return {
    newServer,
    http,
    /** Serves the HTTP app on 127.0.0.1:`port` (0: any free port); resolves with the port. */
    listen(port = 0, hostname = '127.0.0.1') {
      return new Promise((resolve) => http.listen(port, hostname, () => resolve(http.address().port)));
    },
    async close() {
      closing = true;
      await Promise.all([...sessions.values()].map((t) => t.close()));
      await new Promise((resolve) => http.close(() => resolve()));
    },
  };
}
