// MCP instrumentation (issue #15): what `instrumentServer` adds to a tools/call.
// The SDK's own work (zod validation, promises) dominates a round trip over
// its in-memory transport, and the machine is noisy, so the added cost is
// also measured on its own: the instrumentation's hooks driven with the same
// request/response pair and nothing else.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { createMetrics } from '../dist/index.js';
import { instrumentServer } from '../dist/mcp/index.js';
import { measure, measureAsync } from './harness.mjs';

/** A realistic tool call does I/O: 1 ms is a fast one (a local database query); remote APIs take 10-500 ms. */
export const REALISTIC_TOOL_CALL_US = 1000;

async function connectedClient(options) {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  if (options) instrumentServer(server, options);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

/** The hooks alone: a stand-in Protocol and transport, fed one tools/call and its response per operation. */
function hooksOnly(options) {
  const transport = { start: async () => {}, send: async () => {}, onmessage: undefined };
  const protocol = {
    transport: undefined,
    async connect(t) {
      this.transport = t;
      t.onmessage = () => {};
      await t.start();
    },
  };
  if (options) instrumentServer(protocol, options);
  void protocol.connect(transport);
  const request = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: id, b: 1 } } });
  const response = (id) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: String(id + 1) }] } });
  return (n) => {
    for (let i = 0; i < n; i++) {
      transport.onmessage(request(i));
      transport.send(response(i));
    }
  };
}

export async function benchMcp(record, target) {
  const group = 'MCP tools/call, in-memory transport (issue #15)';
  const CALLS = 400;
  const tracerProvider = new BasicTracerProvider();
  const clients = {
    'uninstrumented server: round trip': await connectedClient(undefined),
    'instrumentServer({ metrics }): round trip': await connectedClient({ metrics: createMetrics() }),
    'instrumentServer({ metrics, tracerProvider }): round trip': await connectedClient({ metrics: createMetrics(), tracerProvider }),
  };
  const batches = Object.fromEntries(
    Object.entries(clients).map(([name, client]) => [
      name,
      async () => {
        for (let i = 0; i < CALLS; i++) await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
      },
    ]),
  );
  const trips = await measureAsync(batches, { rounds: 11 });
  const perCall = Object.fromEntries(Object.entries(trips).map(([name, ms]) => [name, (ms * 1000) / CALLS]));
  record(group, perCall, 'µs/call');

  const hooks = measure({
    'hooks alone, nothing to record': hooksOnly(undefined),
    'hooks alone, metrics': hooksOnly({ metrics: createMetrics() }),
    'hooks alone, metrics without message sizes': hooksOnly({ metrics: createMetrics(), messageSizes: false }),
    'hooks alone, metrics and spans': hooksOnly({ metrics: createMetrics(), tracerProvider }),
  });
  const hookUs = Object.fromEntries(Object.entries(hooks).map(([name, ns]) => [name, ns / 1000]));
  record(group, hookUs, 'µs/call');

  const plain = perCall['uninstrumented server: round trip'];
  const instrumented = perCall['instrumentServer({ metrics }): round trip'];
  target('instrumented / uninstrumented tools/call round trip (in-memory)', `${(instrumented / plain).toFixed(3)}x`, 'reported', true);
  const base = hookUs['hooks alone, nothing to record'];
  const added = hookUs['hooks alone, metrics'] - base;
  const addedTraced = hookUs['hooks alone, metrics and spans'] - base;
  const budget = REALISTIC_TOOL_CALL_US / 100;
  target('added cost per tools/call, metrics', `${added.toFixed(2)} µs`, `< ${budget} µs (1% of a 1 ms tool call)`, added < budget);
  target(
    'added cost per tools/call, metrics and spans',
    `${addedTraced.toFixed(2)} µs`,
    `< ${budget} µs (1% of a 1 ms tool call)`,
    addedTraced < budget,
  );
}

// Alone: `node --expose-gc bench/mcp.mjs` (after `npm run build`) prints the rows and targets.
if (import.meta.url === `file://${process.argv[1]}`) {
  const record = (group, values, unit) => {
    for (const [name, v] of Object.entries(values)) console.log(`${group} | ${name} | ${v.toFixed(2)} ${unit}`);
  };
  const target = (name, measured, goal, met) => console.log(`target | ${name} | ${measured} | ${goal} | ${met ? 'yes' : 'no'}`);
  await benchMcp(record, target);
  process.exit(0);
}
