/**
 * pushSnapshots from a real page (Debian's Chromium via Playwright) to a
 * collector on another origin: the browser's own CORS rules decide, and the
 * collector's `ingest.origins` is what lets the push through.
 */
import { type Server, createServer } from 'node:http';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { freePort } from '../support/ports.js';
import { describeWithTools } from '../support/tools.js';

/** A page on its own origin with omnimeter/browser loaded as `window.omnimeter`. */
async function pageServer(): Promise<{ origin: string; server: Server }> {
  const bundle = await build({
    entryPoints: [new URL('../../src/browser/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'omnimeter',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const server = createServer((req, res) => {
    if (req.url === '/omnimeter.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/omnimeter.js"></script>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, server };
}

async function collector(origins: string[]) {
  const port = await freePort();
  const metrics = createMetrics({ exporters: [{ type: 'prometheus', port, ingest: { origins } }] }, {});
  await metrics.ready();
  const base = `http://127.0.0.1:${port}`;
  const clicks = async () => (await (await fetch(`${base}/metrics`)).text()).match(/^clicks_total\{source="shop"\} (\d+)/m)?.[1];
  return { metrics, ingest: `${base}/ingest?source=shop`, clicks };
}

/** In the page: count `n` clicks, push once with fetch, count `more`, then stop (a final beacon). */
const pushFromPage = ({ url, n, more }: { url: string; n: number; more: number }) =>
  (async () => {
    const o = (window as unknown as { omnimeter: typeof import('../../src/browser/index.js') }).omnimeter;
    const metrics = o.createMetrics();
    const clicks = metrics.counter('clicks_total', { help: 'Clicks' });
    const pusher = o.pushSnapshots(metrics, { url, intervalMs: 3_600_000 });
    clicks.inc(n);
    await pusher.flush();
    clicks.inc(more);
    pusher.stop();
    return pusher.failures;
  })();

describeWithTools(['chromium'], 'pushSnapshots across origins, in Chromium', () => {
  let browser: Browser;
  let shop: { origin: string; server: Server };
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    shop = await pageServer();
  });
  afterAll(async () => {
    await browser?.close();
    shop?.server.close();
  });

  it('lands, by fetch and by the final beacon, when the collector lists the page origin', async () => {
    const target = await collector([shop.origin]);
    const page = await browser.newPage();
    await page.goto(shop.origin);
    expect(await page.evaluate(pushFromPage, { url: target.ingest, n: 3, more: 2 })).toBe(0);
    await expect.poll(target.clicks, { timeout: 5_000 }).toBe('5'); // 3 by fetch, then 5 in total by beacon
    await page.close();
    await target.metrics.shutdown();
  });

  it('is refused, and nothing is merged, when it does not', async () => {
    const target = await collector([]);
    const page = await browser.newPage();
    await page.goto(shop.origin);
    expect(await page.evaluate(pushFromPage, { url: target.ingest, n: 3, more: 2 })).toBe(1); // the preflight was refused
    await page.waitForTimeout(500); // the beacon (a simple request) reached the collector and got a 403
    expect(await target.clicks()).toBeUndefined();
    await page.close();
    await target.metrics.shutdown();
  });
});
