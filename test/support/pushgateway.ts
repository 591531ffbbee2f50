/** A real Pushgateway (Debian's prometheus-pushgateway) on 127.0.0.1, without persistence. */
import { startDaemon } from './daemon.js';
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
  const daemon = await startDaemon('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], url);
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: () => daemon.stop(),
  };
}
