/**
 * `omnimeter/browser` (and `omnimeter` in browser bundles): the core plus
 * what a page needs: pushing JSON snapshots to a collector with fetch (and
 * navigator.sendBeacon when the page is hidden or unloading), and printing
 * them to the console. Imports no Node module.
 */
import type { Metrics } from '../api/metrics.js';
import { toJsonSnapshot } from '../exposition/json.js';

export * from '../facade.js';
export { toJsonSnapshot, type JsonSnapshot } from '../exposition/json.js';

export interface PushOptions {
  /** Collector endpoint, e.g. the Node metrics server's /ingest. */
  url: string;
  /** Push interval in milliseconds. Default 10,000. */
  intervalMs?: number;
  /** Extra request headers (not sent with beacons, which cannot carry them). */
  headers?: Record<string, string>;
}

export interface Pusher {
  /** Sends a snapshot now; resolves when the collector answered. */
  flush(): Promise<void>;
  /** Stops the timer and the page-hide hook, after a final beacon. */
  stop(): void;
  /** Pushes that failed (network or non-2xx); the next one carries everything, snapshots being cumulative. */
  readonly failures: number;
  /** Pushes the collector accepted (2xx); beacons are not counted (their answer is not seen). */
  readonly delivered: number;
}

/**
 * Pushes the registry's JSON snapshot (docs/snapshot.schema.json) to `url`
 * every interval, and once more with sendBeacon when the page is hidden or
 * unloaded, so the last numbers are not lost.
 */
export function pushSnapshots(metrics: Metrics, options: PushOptions): Pusher {
  const body = async () => JSON.stringify(toJsonSnapshot(await metrics.registry.collect(), Date.now()));
  let failures = 0;
  let delivered = 0;
  const flush = async () => {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: await body(),
        keepalive: true,
      });
      if (response.ok) delivered++;
      else failures++;
    } catch {
      failures++;
    }
  };
  const beacon = () => {
    void body().then((text) => {
      const nav = globalThis.navigator as Navigator | undefined;
      // text/plain keeps the beacon a simple request (no CORS preflight); the collector parses JSON either way.
      if (!nav?.sendBeacon?.(options.url, new Blob([text], { type: 'text/plain;charset=UTF-8' }))) void flush();
    });
  };
  const onHide = () => {
    if (globalThis.document?.visibilityState === 'hidden') beacon();
  };
  const timer = setInterval(() => void flush(), options.intervalMs ?? 10_000);
  globalThis.document?.addEventListener('visibilitychange', onHide);
  globalThis.addEventListener?.('pagehide', beacon);
  return {
    flush,
    stop() {
      clearInterval(timer);
      globalThis.document?.removeEventListener('visibilitychange', onHide);
      globalThis.removeEventListener?.('pagehide', beacon);
      beacon();
    },
    get failures() {
      return failures;
    },
    get delivered() {
      return delivered;
    },
  };
}

/** Prints every series as a console table: for development in a page. */
export async function printMetrics(metrics: Metrics, log: (rows: object[]) => void = (rows) => console.table(rows)): Promise<void> {
  const snapshot = toJsonSnapshot(await metrics.registry.collect(), Date.now());
  const rows = snapshot.metrics.flatMap((m) =>
    m.series.map((s) => ({ metric: m.name, type: m.type, labels: JSON.stringify(s.labels), value: s.value ?? s.count ?? 0, sum: s.sum })),
  );
  log(rows);
}
