// MCP instrumentation (issue #15): what `instrumentServer` adds to a tools/call.
//
// The machine is shared (2 cores, load 5-15), so a wall-clock difference of a
// few microseconds between two separately timed runs is noise. Here:
// - every case runs in the same process, round after round, in an order that
//   rotates each round, so drift and neighbours hit every case alike;
// - each round measures wall clock and CPU time (process.cpuUsage: this
//   process's user + system time, GC threads included, so the garbage the
//   hooks make is charged to them) per call;
// - the added cost is the median over rounds of (instrumented - uninstrumented)
//   in the same round (paired), not a difference of two medians.
// Two views: the SDK's real round trip over its in-memory transport (the
// issue's measure), and the hooks alone (a stand-in transport fed the same
// request and response, nothing else), where the SDK's own ~100 µs of zod and
// promises does not drown the few microseconds measured.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { createMetrics } from '../dist/index.js';
import { instrumentServer } from '../dist/mcp/index.js';

/** A realistic tool call does I/O: 1 ms is a fast one (a local database query); remote APIs take 10-500 ms. */
export const REALISTIC_TOOL_CALL_US = 1000;

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
/** Rounds per view and calls per round (MCP_BENCH_ROUNDS, MCP_BENCH_CALLS, MCP_BENCH_HOOK_CALLS override). */
const ROUNDS = env('MCP_BENCH_ROUNDS', 51);
const CALLS = env('MCP_BENCH_CALLS', 200);
const HOOK_CALLS = env('MCP_BENCH_HOOK_CALLS', 5000);

/** A tracer whose spans cost nothing (non-recording): what is left is the hooks' own span work. */
const noopTracerProvider = {
  getTracer: () => ({
    startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    startActiveSpan: () => {
      throw new Error('not used by omnimeter/mcp');
    },
  }),
};

const CASES = {
  uninstrumented: undefined,
  metrics: () => ({ metrics: createMetrics() }),
  'metrics without message sizes': () => ({ metrics: createMetrics(), messageSizes: false }),
  'metrics and spans': () => ({ metrics: createMetrics(), tracerProvider: new BasicTracerProvider() }),
  'metrics and spans into a no-op tracer': () => ({ metrics: createMetrics(), tracerProvider: noopTracerProvider }),
};

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
async function hooksOnly(options) {
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
  await protocol.connect(transport);
  const request = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: id, b: 1 } } });
  const response = (id) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: String(id + 1) }] } });
  return async (n) => {
    for (let i = 0; i < n; i++) {
      transport.onmessage(request(i));
      transport.send(response(i));
    }
  };
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs `calls` operations of every case per round, `rounds` times, rotating
 * the order. Returns per case: median wall and CPU µs per call, and the
 * median paired difference (CPU, wall) and ratio (CPU) against `baseline`.
 */
async function interleaved(runs, { rounds, calls, baseline }) {
  const names = Object.keys(runs);
  for (const name of names) await runs[name](calls); // warm up: the JIT and the series
  globalThis.gc?.();
  const wall = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      const cpu0 = process.cpuUsage();
      const wall0 = process.hrtime.bigint();
      await runs[name](calls);
      const wallNs = Number(process.hrtime.bigint() - wall0);
      const used = process.cpuUsage(cpu0);
      wall[name].push(wallNs / 1000 / calls);
      cpu[name].push((used.user + used.system) / calls);
    }
  }
  const result = {};
  for (const name of names) {
    result[name] = {
      wall: median(wall[name]),
      cpu: median(cpu[name]),
      addedCpu: median(cpu[name].map((v, i) => v - cpu[baseline][i])),
      addedWall: median(wall[name].map((v, i) => v - wall[baseline][i])),
      ratioCpu: median(cpu[name].map((v, i) => v / cpu[baseline][i])),
    };
  }
  return result;
}

function report(record, group, label, results) {
  for (const [name, r] of Object.entries(results)) {
    record(group, { [`${label}, ${name}: CPU`]: r.cpu, [`${label}, ${name}: wall`]: r.wall }, 'µs/call');
    if (name !== 'uninstrumented') record(group, { [`${label}, ${name}: added CPU (paired median)`]: r.addedCpu }, 'µs/call');
  }
}

export async function benchMcp(record, target) {
  const group = 'MCP tools/call, in-memory transport (issue #15)';
  const budget = REALISTIC_TOOL_CALL_US / 100;
  const within = () => `< ${budget} µs (1% of a 1 ms tool call)`;

  const trips = {};
  for (const [name, options] of Object.entries(CASES)) {
    const client = await connectedClient(options?.());
    trips[name] = async (n) => {
      for (let i = 0; i < n; i++) await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
    };
  }
  const trip = await interleaved(trips, { rounds: ROUNDS, calls: CALLS, baseline: 'uninstrumented' });
  report(record, group, 'round trip', trip);

  const hookRuns = {};
  for (const [name, options] of Object.entries(CASES)) hookRuns[name] = await hooksOnly(options?.());
  const hooks = await interleaved(hookRuns, { rounds: ROUNDS, calls: HOOK_CALLS, baseline: 'uninstrumented' });
  report(record, group, 'hooks alone', hooks);

  target(
    'instrumented / uninstrumented tools/call round trip (in-memory, CPU, paired median)',
    `${trip.metrics.ratioCpu.toFixed(3)}x`,
    'reported',
    true,
  );
  for (const name of ['metrics', 'metrics and spans', 'metrics and spans into a no-op tracer']) {
    const added = trip[name].addedCpu;
    target(`added CPU per tools/call, ${name} (round trip, paired median)`, `${added.toFixed(2)} µs`, within(), added < budget);
    const hook = hooks[name].addedCpu;
    target(`added CPU per tools/call, ${name} (hooks alone, paired median)`, `${hook.toFixed(2)} µs`, within(), hook < budget);
  }
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
