/**
 * The browser demo end to end, in Debian's Chromium driven by Playwright:
 * from the production build (vite build, served statically) and from the
 * dev server `npm run demo:browser` runs. What the page shows is checked by
 * tools nobody here wrote: the strict OpenMetrics and 0.0.4 parsers, ajv
 * with the published snapshot schema.
 */
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_CONFIG, startDemo } from '../../src/cli/demo.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { componentDir } from '../support/components.js';
import { freePort } from '../support/ports.js';
import { describeWithTools } from '../support/tools.js';
import { type ParsedFamily, parseStrict } from '../support/validators.js';

const root = new URL('../../', import.meta.url).pathname;
const configFile = join(root, 'browser-demo/vite.config.ts');
const artifacts = join(root, 'test-results');
const schema = JSON.parse(readFileSync(join(root, 'docs/snapshot.schema.json'), 'utf8'));
const validateSnapshot = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false }).compile(schema);

interface Served {
  url: string;
  close(): Promise<void>;
}

async function productionBuild(): Promise<Served> {
  const vite = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'omnimeter-demo-'));
  await vite.build({ configFile, logLevel: 'silent', build: { outDir } });
  const server = await vite.preview({
    configFile,
    logLevel: 'silent',
    build: { outDir },
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true },
  });
  return { url: server.resolvedUrls!.local[0]!, close: () => server.close() };
}

async function devServer(): Promise<Served> {
  const vite = await import('vite');
  const server = await vite.createServer({
    configFile,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: await freePort(), strictPort: true },
  });
  await server.listen();
  return { url: server.resolvedUrls!.local[0]!, close: () => server.close() };
}

/** Opens the demo; every console error and uncaught exception is kept for the final check. */
async function openDemo(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console.error: ${m.text()}`)));
  page.on('pageerror', (e) => void problems.push(`uncaught: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  return { page, problems };
}

const samplesShown = (page: Page) => page.locator('#charts').evaluate((el) => Number((el as HTMLElement).dataset.samples));

/** Pauses the load and waits for a sample taken after the pause. */
async function pauseAndSettle(page: Page): Promise<void> {
  await page.click('#toggle');
  const after = (await samplesShown(page)) + 1;
  await page.waitForFunction((n) => Number(document.getElementById('charts')!.dataset.samples) >= n, after);
}

const sampleValue = (families: ParsedFamily[], name: string, labels: Record<string, string>) =>
  families.flatMap((f) => f.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describeWithTools(['chromium', 'python3-prometheus-client'], 'the browser demo in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    await Promise.all([componentDir('json-tool'), componentDir('cpu-tool')]); // built from source if missing
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(() => browser?.close());

  it.each([
    ['the production build, served statically', productionBuild],
    ['the dev server', devServer],
  ])(
    '%s: the components run, the charts update, the numbers shown equal what the components were asked to record',
    async (where, serve) => {
      const served = await serve();
      try {
        const { page, problems } = await openDemo(browser, served.url);
        await expect
          .poll(() => page.locator('#components .pill').allInnerTexts())
          .toEqual([expect.stringMatching(/^json-tool [0-9a-f]{12}$/), expect.stringMatching(/^cpu-tool [0-9a-f]{12}$/)]);
        await expect.poll(() => samplesShown(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
        expect(await page.locator('#charts canvas').count()).toBe(4);

        await pauseAndSettle(page);
        const ledger = Object.fromEntries(
          await page
            .locator('#ledger tbody tr')
            .evaluateAll((rows) =>
              rows.map((r) => [
                r.getAttribute('data-key'),
                { asked: Number(r.querySelector('.asked')!.textContent), recorded: Number(r.querySelector('.recorded')!.textContent) },
              ]),
            ),
        ) as Record<string, { asked: number; recorded: number }>;
        for (const row of Object.values(ledger)) expect(row.recorded).toBe(row.asked);
        expect(ledger['documents-ok']!.asked).toBeGreaterThan(0);
        expect(ledger['documents-invalid']!.asked).toBeGreaterThan(0);
        expect(ledger['fib-calls']!.asked).toBeGreaterThan(0);

        // The OpenMetrics pane, read by the strict parser, says the same.
        expect(await page.locator('#exposition').getAttribute('data-format')).toBe('openmetrics');
        const families = parseStrict(await page.locator('#exposition').innerText(), 'openmetrics');
        expect(sampleValue(families, 'browser_json_tool_documents_total', { status: 'ok', component: 'json-tool' })).toBe(
          ledger['documents-ok']!.asked,
        );
        expect(sampleValue(families, 'browser_json_tool_documents_total', { status: 'invalid' })).toBe(ledger['documents-invalid']!.asked);
        expect(sampleValue(families, 'browser_cpu_tool_calls_total', { export: 'fib' })).toBe(ledger['fib-calls']!.asked);
        expect(sampleValue(families, 'omnimeter_wasm_invocations_total', { component: 'cpu-tool', export: 'fib', status: 'success' })).toBe(
          ledger['fib-calls']!.asked,
        );

        // The JSON pane is a valid snapshot with the same numbers.
        const snapshot = JSON.parse(await page.locator('#json').innerText());
        expect(validateSnapshot(snapshot), JSON.stringify(validateSnapshot.errors)).toBe(true);
        const documents = snapshot.metrics.find((m: { name: string }) => m.name === 'browser_json_tool_documents');
        expect(documents.series.find((s: { labels: Record<string, string> }) => s.labels.status === 'ok').value).toBe(
          ledger['documents-ok']!.asked,
        );

        mkdirSync(artifacts, { recursive: true });
        await page.screenshot({
          path: join(artifacts, `browser-demo-${where.startsWith('the dev') ? 'dev' : 'production'}.png`),
          fullPage: true,
        });
        expect(problems).toEqual([]);
      } finally {
        await served.close();
      }
    },
    90_000, // a production build (vite build) inside the test: ~20 s alone, more beside the rest of the suite
  );

  it('switches exporters through the config schema, and shows config errors by path', async () => {
    const served = await productionBuild();
    try {
      const { page, problems } = await openDemo(browser, served.url);
      await page.selectOption('#preset', 'Prometheus text 0.0.4');
      await expect.poll(() => page.locator('#exposition').getAttribute('data-format')).toBe('prometheus');
      await expect.poll(() => page.locator('#config-status').innerText()).toBe('Applied: 0 push exporters, exposition prometheus.');
      const text = await page.locator('#exposition').innerText();
      expect(text).not.toContain('# EOF');
      expect(sampleValue(parseStrict(text, 'prometheus'), 'browser_json_tool_documents_total', { status: 'ok' })).toBeGreaterThan(0);

      await page.selectOption('#preset', 'console (JSON lines)');
      await expect.poll(() => page.locator('#config-status').innerText()).toBe('Applied: 1 push exporter.');
      // The previous exporters are closed and the console exporter prints JSON lines every 2 s.
      await expect
        .poll(async () => (await page.locator('#exporter-output').innerText()).includes('"metric":"browser_json_tool_documents_total"'), {
          timeout: 60_000,
        })
        .toBe(true);
      const jsonLines = (await page.locator('#exporter-output').innerText()).split('\n').filter((l) => l.startsWith('{'));
      expect(jsonLines.length).toBeGreaterThan(0);
      for (const line of jsonLines) expect(JSON.parse(line)).toHaveProperty('metric');

      await page.fill('#config', JSON.stringify({ enabled: true, exporters: [{ type: 'statsd' }, { type: 'console', format: 'xml' }] }));
      await page.click('#apply');
      await expect
        .poll(() => page.locator('#config-status').innerText())
        .toContain('exporters[1].format: expected "table", "logfmt" or "json", got "xml"');
      await page.fill('#config', JSON.stringify({ enabled: true, exporters: [{ type: 'statsd' }] }));
      await page.click('#apply');
      await expect.poll(() => page.locator('#config-status').innerText()).toContain('exporters[0].type: "statsd" cannot run in a browser');
      expect(problems).toEqual([]);
    } finally {
      await served.close();
    }
  });

  it("pushes to npm start's collector: the page's numbers reach its scrape under a source label", async () => {
    const served = await productionBuild();
    const port = await freePort();
    const collector = await startDemo({
      config: { ...DEMO_CONFIG, exporters: [{ type: 'prometheus', port, ingest: { origins: [new URL(served.url).origin] } }] },
    });
    try {
      const { page, problems } = await openDemo(browser, served.url);
      await page.fill('#push-url', `http://127.0.0.1:${port}/ingest?source=browser-demo`);
      await page.check('#push');
      await expect.poll(() => page.locator('#push-status').innerText(), { timeout: 60_000 }).toMatch(/^[1-9]\d* delivered, 0 failed\.$/);
      await pauseAndSettle(page);
      const asked = Number(await page.locator('#ledger tr[data-key="documents-ok"] .asked').innerText());
      // Pushes carry cumulative snapshots every 2 s: the collector catches up with the paused page.
      const scraped = async () => {
        const text = await (
          await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'application/openmetrics-text' } })
        ).text();
        return sampleValue(parseStrict(text, 'openmetrics'), 'mcp_browser_json_tool_documents_total', {
          source: 'browser-demo',
          component: 'json-tool',
          status: 'ok',
        });
      };
      await expect.poll(scraped, { timeout: 60_000 }).toBe(asked);
      expect(problems).toEqual([]);
    } finally {
      await collector.stop();
      await served.close();
    }
  }, 90_000); // a production build inside the test, as above
});
