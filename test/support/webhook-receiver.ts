/**
 * An HTTP receiver on 127.0.0.1 recording what notification channels POST,
 * with the failures tests need: answer 500 for the next n requests, hang
 * (never answer), stop and restart on the same port.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  private failNext = 0;
  private hang = false;
  private readonly hung: ServerResponse[] = [];
  port = 0;
  requests = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        if (this.hang) return void this.hung.push(res);
        if (this.failNext > 0) {
          this.failNext--;
          return void res.writeHead(500).end('receiver failing on purpose');
        }
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({ path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** The next n requests are answered 500. */
  failFor(n: number): void {
    this.failNext = n;
  }

  /** Requests are accepted and never answered until hang(false). */
  setHang(on: boolean): void {
    this.hang = on;
    if (!on) for (const res of this.hung.splice(0)) res.destroy();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const res of this.hung.splice(0)) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until `predicate` holds (polling), or fails after `ms`. */
  async until(predicate: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${ms} ms (${this.received.length} received)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
