// Exposition of 1,000 histogram series (11 buckets) against prom-client's
// registry.metrics(): unchanged since the last scrape, in both formats, and
// with every series recorded in between. `npm run bench` runs it through
// bench/run.mjs; alone: `node --expose-gc bench/exposition.mjs` after `npm run build`.
import { fileURLToPath } from 'node:url';
import promClient from 'prom-client';
import { createMetrics } from '../dist/index.js';
import { logNormalValues, measureAsync } from './harness.mjs';

const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

export async function benchExposition(record, target, values = logNormalValues()) {
  const m = createMetrics();
  const h = m.histogram('expo_seconds', { help: 'e', labelNames: ['route'] });
  const promOnly = new promClient.Registry();
  const ph = new promClient.Histogram({ name: 'expo_seconds', help: 'e', labelNames: ['route'], registers: [promOnly] });
  for (let i = 0; i < 1000; i++) {
    for (let j = 0; j < 5; j++) {
      h.observe({ route: `/api/v${i}` }, values[(i * 5 + j) & 4095]);
      ph.observe({ route: `/api/v${i}` }, values[(i * 5 + j) & 4095]);
    }
  }
  // A second registry whose every series records between two scrapes: no text kept from the last scrape is reusable.
  const churned = createMetrics();
  const ch = churned.histogram('expo_seconds', { help: 'e', labelNames: ['route'] });
  const routes = Array.from({ length: 1000 }, (_, i) => ({ route: `/api/v${i}` }));
  for (let i = 0; i < 1000; i++) for (let j = 0; j < 5; j++) ch.observe(routes[i], values[(i * 5 + j) & 4095]);
  let tick = 0;
  const r = await measureAsync(
    {
      'omnimeter expose, 1,000 histogram series (text)': () => m.registry.expose('prometheus'),
      'omnimeter expose, 1,000 histogram series (OpenMetrics)': () => m.registry.expose('openmetrics'),
      'omnimeter expose, 1,000 histogram series, every one recorded since the last scrape (text)': () => {
        for (let i = 0; i < 1000; i++) ch.observe(routes[i], values[(i + tick++) & 4095]);
        return churned.registry.expose('prometheus');
      },
      'prom-client registry.metrics(), 1,000 histogram series': () => promOnly.metrics(),
    },
    { warmup: 15, batch: 5 },
  );
  record('exposition', r, 'ms');
  const ours = r['omnimeter expose, 1,000 histogram series (text)'];
  const changed = r['omnimeter expose, 1,000 histogram series, every one recorded since the last scrape (text)'];
  const theirs = r['prom-client registry.metrics(), 1,000 histogram series'];
  target('exposition of 1,000 histogram series, speed-up over prom-client', ratio(theirs, ours), '>= 10x', theirs >= 10 * ours);
  target(
    'the same, every series recorded since the last scrape (1,000 observe() included)',
    ratio(theirs, changed),
    '>= 10x',
    theirs >= 10 * changed,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchExposition(
    (group, results) => {
      for (const [name, v] of Object.entries(results)) console.log(`${group} | ${name} | ${v.toFixed(2)} ms`);
    },
    (name, measured, goal, met) => console.log(`target: ${name}: ${measured} (goal ${goal}) ${met ? 'met' : 'NOT met'}`),
  );
}
