/** A real Prometheus server (Debian's) on 127.0.0.1 with temporary storage, scraping given targets every second. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export interface PrometheusServer {
  query(promql: string): Promise<PromSample[]>;
  /** `/api/v1/query_exemplars` over the last hour (needs --enable-feature=exemplar-storage). */
  exemplars(promql: string): Promise<PromExemplars[]>;
  targets(): Promise<{ health: string; lastError: string; labels: { job: string } }[]>;
  /** The server's base URL (`/api/v1/write` takes remote write with `--web.enable-remote-write-receiver`). */
  readonly url: string;
  /** Stops the server (SIGTERM, waits for it to exit) and starts it again on the same port and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  targets: { job: string; port: number; path?: string }[],
  flags: readonly string[] = [],
): Promise<PrometheusServer> {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'omnimeter-prom-'));
  const jobs = targets
    .map(
      (t) =>
        `  - job_name: ${t.job}\n    metrics_path: ${t.path ?? '/metrics'}\n    static_configs: [{ targets: ['127.0.0.1:${t.port}'] }]`,
    )
    .join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs}\n`);
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...flags,
  ];
  let log = '';
  const launch = () => {
    const started = spawn('prometheus', args);
    started.stderr.on('data', (d: Buffer) => (log += d.toString()));
    return started;
  };
  let child = launch();
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const query = async (promql: string): Promise<PromSample[]> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: PromSample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  };
  // The first scrapes land 5-8 s after start: wait until every target is up.
  const ready = async () => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      try {
        if ((await query('up == 1')).length === targets.length) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`targets never came up:\n${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await ready();
  return {
    url: api,
    query,
    async exemplars(promql: string) {
      const end = Date.now() / 1000 + 60;
      const url = `${api}/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${end - 3600}&end=${end}`;
      const body = (await (await fetch(url)).json()) as { status: string; data: PromExemplars[]; error?: string };
      if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
      return body.data;
    },
    async targets() {
      const body = (await (await fetch(`${api}/api/v1/targets`)).json()) as { data: { activeTargets: never[] } };
      return body.data.activeTargets;
    },
    async restart() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      child = launch();
      await ready();
    },
    async stop() {
      child.kill('SIGTERM');
      process.off('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
