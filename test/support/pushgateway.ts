/** A real Pushgateway (Debian's prometheus-pushgateway) on 127.0.0.1, without persistence. */
import { spawn } from 'node:child_process';
import { freePort } from './ports.js';

export interface PushgatewayServer {
  readonly url: string;
  /** Its own exposition of everything pushed (0.0.4 text). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<PushgatewayServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=']);
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`pushgateway did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      process.off('exit', kill);
    },
  };
}
