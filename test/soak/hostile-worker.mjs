/**
 * The hostile side of the soak test, in a worker thread of its own (so the
 * test's scraper measures the collector, not this load): each client is a
 * loop against the collector until the deadline, counting what it was
 * answered. Together they are the attacks of issue 10, run at once.
 * Plain JavaScript: a worker thread loads it without vitest's transform.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const count = (tally, key) => void (tally[key] = (tally[key] ?? 0) + 1);

/** One request, any headers; resolves with the status (or the error code), never rejects. */
export function hit(url, method, body, headers = {}) {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', () => resolve('response error'));
    });
    req.on('error', (e) => resolve(e.code ?? 'error'));
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'client timeout' })));
    req.end(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const snapshot = (metrics) =>
  JSON.stringify({ format: 'omnimeter-snapshot', version: 1, timestamp: new Date().toISOString(), timeMs: Date.now(), metrics });

/** Runs `step` every `everyMs` until `running()` is false, counting outcomes. */
async function loop(running, everyMs, tally, step) {
  while (running()) {
    const outcomes = await step();
    for (const o of Array.isArray(outcomes) ? outcomes : [outcomes]) count(tally, o);
    await sleep(everyMs);
  }
}

export function hostileClients(base, running) {
  const ingest = (source) => `${base}/ingest?source=${source}`;
  const json = { 'content-type': 'application/json' };
  const buckets = Array.from({ length: 16_000 }, (_, i) => i + 1);
  const bomb = snapshot([
    {
      name: 'bomb_seconds',
      type: 'histogram',
      help: '',
      unit: '',
      buckets,
      series: [{ labels: {}, bucketCounts: [...buckets.map(() => 1), 1] }],
    },
  ]);
  const nested = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
  let churn = 0;
  let flood = 0;
  const tallies = {};
  const client = (name, everyMs, step) => {
    tallies[name] = {};
    return loop(running, everyMs, tallies[name], step);
  };
  const sockets = new Set();
  /** Keeps `n` connections open that send a little and never finish their request. */
  const holders = (name, n, opening, drip) => {
    tallies[name] = {};
    const open = () => {
      if (!running()) return;
      const socket = connect(Number(new URL(base).port), '127.0.0.1');
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('connect', () => socket.write(opening));
      const timer = setInterval(() => socket.writable && socket.write(drip), 1000);
      socket.on('close', () => {
        clearInterval(timer);
        sockets.delete(socket);
        count(tallies[name], 'closed by server');
        setTimeout(open, 100);
      });
    };
    for (let i = 0; i < n; i++) open();
  };
  holders('slow headers (slowloris)', 40, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', 'X-a: b\r\n');
  holders('slow bodies', 10, 'POST /ingest?source=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{', ' ');
  const clients = [
    client('bucket bombs (112 KB, 16,000 buckets)', 200, () => hit(ingest('bomb'), 'POST', bomb, json)),
    client('1 MB nested bodies', 200, () => hit(ingest('deep'), 'POST', nested, json)),
    // Ten new sources at a time: the source table fills (1,000) early, then new ones are refused.
    client('source churn', 10, () =>
      Promise.all(
        Array.from({ length: 10 }, () =>
          hit(
            ingest(`churn-${churn++}`),
            'POST',
            snapshot([{ name: 'c', type: 'counter', help: '', unit: '', series: [{ labels: {}, value: 1 }] }]),
            json,
          ),
        ),
      ),
    ),
    client('label-set floods (10,000 new series a push)', 300, () =>
      hit(
        ingest('flood'),
        'POST',
        snapshot([
          {
            name: 'flood',
            type: 'counter',
            help: '',
            unit: '',
            series: Array.from({ length: 10_000 }, (_, i) => ({ labels: { k: `${flood}-${i}` }, value: 1 })),
          },
        ]),
        json,
      ).then((s) => (flood++, s)),
    ),
    client('reserved names and negative counters', 100, () =>
      hit(
        ingest('sneaky'),
        'POST',
        snapshot([
          { name: 'omnimeter_exporter_exports', type: 'counter', help: '', unit: '', series: [{ labels: {}, value: 1e9 }] },
          { name: 'neg', type: 'counter', help: '', unit: '', series: [{ labels: {}, value: -5 }] },
        ]),
        json,
      ),
    ),
    client('garbage, oversized and rebinding requests', 50, () =>
      Promise.all([
        hit(ingest('junk'), 'POST', '{"format": ', json),
        hit(ingest('big'), 'POST', Buffer.alloc(2 * 1024 * 1024, 32), json),
        hit(ingest('rebind'), 'POST', '{}', { ...json, origin: 'http://evil.example:9464', host: 'evil.example:9464' }),
      ]),
    ),
    client('scrape storms (200 at once)', 2000, () => Promise.all(Array.from({ length: 200 }, () => hit(`${base}/metrics`, 'GET')))),
  ];
  return {
    tallies,
    async stop() {
      await Promise.all(clients);
      for (const s of sockets) s.destroy();
    },
  };
}

if (parentPort && workerData?.base) {
  const end = workerData.end;
  const hostile = hostileClients(workerData.base, () => Date.now() < end);
  await hostile.stop();
  parentPort.postMessage(hostile.tallies);
}
