// WebAssembly guests under the host (issues #4 and #11): the guest hot path,
// an export call, the 1,000-series flush through the merge port (a recorder
// guest and a wasi:otel guest), and what the host's own wrappers cost: the
// WASI timing wrapper per call and metering (binaryen's step counter) on a
// CPU-bound export. Components come from `npm run build:wasm`.
import { join } from 'node:path';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { createMetrics } from '../dist/index.js';
import { ComponentHost, readComponent, readComponentAsync } from '../dist/host/index.js';
import { timeWasi } from '../dist/host/timed-imports.js';
import { measure, measureAsync } from './harness.mjs';

const root = new URL('..', import.meta.url).pathname;
const folder = (name) => join(root, '.cache', 'wasm', name, 'js');
const GROUP = 'WebAssembly guest (AssemblyScript, cpu-tool)';

export async function benchHost(record, target) {
  const metrics = createMetrics();
  const host = new ComponentHost({ metrics, wasiOtel: true, imports: new WASIShim().getImportObject() });
  const guest = host.load(readComponent(folder('cpu-tool'))).instantiate('bench');
  guest.call('fan-out', 1000); // register the 1,000 series once
  const perIncrement = measure({
    'guest counter inc(), amortized over spin(100,000) incl. its flush': (n) => {
      for (let done = 0; done < n; done += 100_000) guest.call('spin', 100_000);
    },
  });
  record(GROUP, perIncrement);
  const calls = measure(
    {
      'export call + flush with one numeric update (jco 1.12 glue), host telemetry included': (n) => {
        for (let i = 0; i < n; i++) guest.call('spin', 1);
      },
    },
    { rounds: 5, targetMs: 40 },
  );
  record(GROUP, calls);
  const flush = await measureAsync({
    'fan-out(1,000): 1,000 series changed, flushed to the host in one batch': async () => guest.call('fan-out', 1000),
  });
  record(GROUP, flush, 'ms');

  // Metering: the same fib(20) export, unmetered and metered (a step counter at every function entry and loop header).
  const metered = host.load(await readComponentAsync(folder('cpu-tool'), { meter: true })).instantiate('metered');
  const fib = measure(
    {
      'fib(20) unmetered (one export call)': (n) => {
        for (let i = 0; i < n; i++) guest.call('fib', 20, 1);
      },
      'fib(20) metered (binaryen step counter, host refill every 10,000 steps)': (n) => {
        for (let i = 0; i < n; i++) metered.call('fib', 20, 1);
      },
    },
    { rounds: 7, targetMs: 60 },
  );
  record('WebAssembly guest: metering', fib, 'ns/op');

  // The WASI timing wrapper: preview2-shim's monotonic clock, bare and through the host's wrapper.
  const shim = new WASIShim().getImportObject();
  const raw = shim['wasi:clocks/monotonic-clock'].now;
  // What the instance's observer does per call (instance.ts): a labelled counter and a labelled histogram.
  const wasiCalls = metrics.counter('bench_wasi_calls_total', { help: 'WASI calls.', labelNames: ['component', 'interface', 'function'] });
  const wasiSeconds = metrics.histogram('bench_wasi_call_seconds', {
    help: 'WASI call time.',
    labelNames: ['component', 'interface', 'function'],
  });
  const wrapped = timeWasi(shim, (iface, fn, seconds) => {
    const labels = { component: 'bench', interface: iface, function: fn };
    wasiCalls.inc(labels);
    wasiSeconds.observe(labels, seconds);
  })['wasi:clocks/monotonic-clock'].now;
  const wasi = measure({
    'wasi:clocks/monotonic-clock.now, bare (preview2-shim)': (n) => {
      for (let i = 0; i < n; i++) raw();
    },
    'the same through the host WASI wrapper (count + latency histogram)': (n) => {
      for (let i = 0; i < n; i++) wrapped();
    },
  });
  record('WebAssembly guest: WASI timing wrapper', wasi);

  // wasi:otel: a componentize-js guest exporting 1,000 cumulative series, merged through the same port.
  const otel = host.load(readComponent(folder('otel-tool'))).instantiate('bench');
  for (let i = 0; i < 998; i++) otel.call('handle', `/r${i}`, i);
  const otelFlush = await measureAsync({
    'wasi:otel export of 1,000 series (componentize-js guest; cumulative, diffed by the port)': async () => {
      otel.call('handle', '/r0', 1);
      otel.call('flush');
    },
  });
  record('WebAssembly guest (componentize-js, otel-tool)', otelFlush, 'ms');

  const inc = perIncrement['guest counter inc(), amortized over spin(100,000) incl. its flush'];
  target('guest increment, amortized with its flush', `${inc.toFixed(2)} ns`, '<= 20 ns', inc <= 20);
  const flushMs = flush['fan-out(1,000): 1,000 series changed, flushed to the host in one batch'];
  target('1,000 changed series from guest to host', `${flushMs.toFixed(3)} ms`, '<= 1 ms', flushMs <= 1);
  host.close();
}

// Alone: `node bench/host.mjs` prints the rows (after `npm run build` and `npm run build:wasm`).
if (process.argv[1] === new URL(import.meta.url).pathname) {
  await benchHost(
    (group, results, unit = 'ns/op') => {
      for (const [name, v] of Object.entries(results))
        console.log(`| ${group} | ${name} | ${v.toFixed(unit === 'ms' ? 3 : 1)} | ${unit} |`);
    },
    (name, measured, goal, met) => console.log(`| ${name} | ${measured} | ${goal} | ${met ? 'yes' : '**no**'} |`),
  );
}
