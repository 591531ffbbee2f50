/** A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 that posts to a webhook. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface AlertmanagerServer {
  /** Posts alerts to its API (v2). */
  post(alerts: object[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startAlertmanager(webhookUrl: string): Promise<AlertmanagerServer> {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'omnimeter-am-'));
  writeFileSync(
    join(dir, 'am.yml'),
    `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${webhookUrl}\n        send_resolved: true\n`,
  );
  const child = spawn('prometheus-alertmanager', [
    `--config.file=${join(dir, 'am.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${api}/-/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`alertmanager did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async post(alerts) {
      const res = await fetch(`${api}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`alertmanager refused alerts: ${res.status} ${await res.text()}`);
    },
    async stop() {
      child.kill('SIGTERM');
      process.off('exit', kill);
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
