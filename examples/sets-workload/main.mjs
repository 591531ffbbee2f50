// A service that uses every metric set, for trying the dashboards of docs/grafana/:
//
//   node examples/sets-workload/main.mjs --port 9470      /metrics on 127.0.0.1:9470
//
// It runs a metered HTTP server and calls it, a MeteredMap and an lru-cache in
// front of a slow "database", a metered key-value store, and a component
// runtime, a few times a second. It writes JSON snapshots to the temporary
// folder, pushes OTLP to a port where nothing listens, and records a few things it should not, so that omnimeter's own
// health metrics (exporter failures and drops, cardinality overflow, dropped
// recordings, collect errors) have something to show.
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { createMetrics } from 'omnimeter';
import { MeteredMap, componentRuntimeMetrics, meterServer, meteredLruCache, meteredStore, storageMetrics } from 'omnimeter/sets';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 9470;

const metrics = createMetrics({
  defaultLabels: { service: 'sets-workload' },
  mode: 'lenient', // invalid recordings are dropped and counted instead of thrown
  retention: { maxSeries: 20 }, // per metric: the noisy one below overflows
  collectionInterval: '1s',
  exporters: [
    { type: 'prometheus', port },
    { type: 'json', path: join(tmpdir(), `omnimeter-sets-workload-${process.pid}.json`) },
    { type: 'otlp', endpoint: 'http://127.0.0.1:9/v1/metrics', maxQueue: 1 }, // nothing listens: failures and drops
  ],
});

// Transport: a metered HTTP server, called by this process.
const api = createServer((req, res) => {
  res.statusCode = req.url === '/fail' ? 500 : 200;
  setTimeout(() => res.end(JSON.stringify({ path: req.url })), req.url === '/slow' ? 1000 : 0);
});
meterServer(api, { metrics, transport: 'http' });
await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
const apiPort = api.address().port;
const call = (path) =>
  new Promise((resolve) =>
    get({ host: '127.0.0.1', port: apiPort, path, agent: false }, (res) => res.resume().on('end', resolve)).on('error', resolve),
  );
/** A client that gives up before the answer: the server counts an aborted request. */
const abandon = () => {
  const req = get({ host: '127.0.0.1', port: apiPort, path: '/slow', agent: false }).on('error', () => {});
  setTimeout(() => req.destroy(), 200);
};

// Cache: a MeteredMap and an lru-cache in front of a slow lookup.
const slowLookup = (key) => new Promise((resolve) => setTimeout(() => resolve(`value of ${key}`), 5));
const users = new MeteredMap({ metrics, name: 'users', maxEntries: 20, ttlSeconds: 30, sizeOf: (v) => v.length });
const pages = meteredLruCache(LRUCache, { max: 10, ttl: 20_000, fetchMethod: slowLookup }, { metrics, name: 'pages' });

// Storage: a key-value store with a capacity.
const data = new Map();
const store = meteredStore(
  {
    get: async (k) => data.get(k),
    set: async (k, v) => void data.set(k, v),
    delete: async (k) => void data.delete(k),
    usage: () => ({ usedBytes: [...data.values()].reduce((n, v) => n + v.length, 0), capacityBytes: 1 << 16 }),
  },
  { metrics, backend: 'memory' },
);
const disk = storageMetrics({ metrics, backend: 'memory' });

// Component runtime.
const runtime = componentRuntimeMetrics({ metrics });
await runtime.load('search', () => new Promise((resolve) => setTimeout(resolve, 3)));

// omnimeter's own health: one metric past its series limit, an invalid recording, a failing collect hook.
const noisy = metrics.counter('workload_noisy_labels_total', { help: 'A label with too many values.', labelNames: ['id'] });
metrics.registry.addCollectHook('workload_broken_hook', () => {
  throw new Error('this hook always fails');
});

let tick = 0;
async function step() {
  tick++;
  await Promise.all([call(`/items/${tick % 7}`), call(tick % 5 === 0 ? '/fail' : '/health')]);
  const id = `u${tick % 25}`;
  await users.getOrLoad(id, slowLookup);
  await pages.fetch(`p${tick % 12}`);
  if (tick % 9 === 0) users.delete(id);
  await store.set(`k${tick % 30}`, 'x'.repeat(100 + (tick % 50)));
  await store.get(`k${(tick * 7) % 40}`);
  if (tick % 4 === 0) await store.delete(`k${(tick + 3) % 30}`);
  if (tick % 10 === 0) abandon();
  if (tick % 10 === 0) disk.integrityCheck(tick % 30 !== 0);
  if (tick % 20 === 0) await disk.backup(() => new Promise((resolve) => setTimeout(resolve, 10)));
  runtime.call('host', 'search', () => JSON.parse('{"q":"x"}'));
  runtime.memory('search', 65536 * (1 + (tick % 3)));
  runtime.cpu('search', 0.001);
  noisy.inc({ id: String(tick % 200) }); // past 20 series: overflow
  noisy.inc({ id: 'x' }, -1); // invalid: dropped and counted
}

const timer = setInterval(() => void step(), 200);
process.stderr.write(`sets workload: http://127.0.0.1:${port}/metrics\n`);

async function stop() {
  clearInterval(timer);
  api.close();
  await metrics.shutdown();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
