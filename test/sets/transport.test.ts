/**
 * The transport wrapper around real node:http and node:net servers, and
 * client sockets, against scripted workloads: request and response counts,
 * body sizes, bytes each way (the server's receive equals what the
 * clients' sockets wrote), connections opened and torn down, aborts.
 */
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { meterServer, meterSocket, transportMetrics } from '../../src/sets/index.js';
import { describeWithTools } from '../support/tools.js';
import { fresh, read } from './support.js';

let metrics = fresh();
let clients = fresh();
afterEach(async () => {
  await metrics.shutdown();
  await clients.shutdown();
  metrics = fresh();
  clients = fresh();
});

function handler(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/fail') {
      res.statusCode = 500;
      res.end('boom');
    } else if (req.url === '/hang') {
      // never answers: the client aborts
    } else {
      res.write('echo:');
      res.end(Buffer.concat(chunks));
    }
  });
}

/** Bytes on the wire both ways, counted by the client: what the server's counters must equal. */
const wire = { sent: 0, received: 0 };

/**
 * One HTTP/1.1 request written by hand on its own connection (so the bytes
 * sent are known exactly), through a socket metered as a client.
 */
async function call(port: number, path: string, body?: string) {
  const socket = connect(port, '127.0.0.1');
  meterSocket(socket, transportMetrics({ metrics: clients, transport: 'http' }));
  const head = `${body ? 'POST' : 'GET'} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  const payload = Buffer.from(body ? `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` : `${head}\r\n`);
  wire.sent += payload.length;
  socket.end(payload);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  const response = Buffer.concat(chunks);
  wire.received += response.length;
  const text = response.toString('utf8');
  const status = Number(text.slice(9, 12));
  const raw = text.slice(text.indexOf('\r\n\r\n') + 4);
  if (!/transfer-encoding: chunked/i.test(text)) return { status, text: raw };
  let decoded = ''; // write() then end(): chunked
  for (let rest = raw; ; ) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) break;
    const bytes = Buffer.from(rest.slice(eol + 2), 'utf8')
      .subarray(0, size)
      .toString('utf8');
    decoded += bytes;
    rest = rest.slice(eol + 2 + bytes.length + 2);
  }
  return { status, text: decoded };
}

const http = { transport_name: 'http' };

describeWithTools(['python3-prometheus-client'], 'transport wrapper', () => {
  it('records an HTTP server: requests, responses by outcome, body sizes, bytes each way, connections', async () => {
    const server = createServer(handler);
    const metered = meterServer(server, { metrics, transport: 'http' });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    expect(await call(port, '/a')).toEqual({ status: 200, text: 'echo:' });
    expect(await call(port, '/b', 'x'.repeat(100))).toEqual({ status: 200, text: `echo:${'x'.repeat(100)}` });
    expect(await call(port, '/c', 'é'.repeat(10))).toEqual({ status: 200, text: `echo:${'é'.repeat(10)}` });
    expect(await call(port, '/fail')).toEqual({ status: 500, text: 'boom' });
    await vi.waitFor(async () => expect((await read(metrics)).value('transport_connections_active', http)).toBe(0), { timeout: 10_000 });

    const r = await read(metrics);
    expect(r.value('transport_requests_total', http)).toBe(4);
    expect(r.value('transport_responses_total', { ...http, outcome: 'success' })).toBe(3);
    expect(r.value('transport_responses_total', { ...http, outcome: 'error' })).toBe(1);
    expect(r.value('transport_request_duration_seconds_count', { ...http, outcome: 'success' })).toBe(3);
    const received = { ...http, network_io_direction: 'receive' };
    const transmitted = { ...http, network_io_direction: 'transmit' };
    expect(r.value('transport_message_size_bytes_count', received)).toBe(4);
    expect(r.value('transport_message_size_bytes_sum', received)).toBe(100 + 20); // 'é' is 2 bytes
    expect(r.value('transport_message_size_bytes_sum', transmitted)).toBe(5 + 105 + 25 + 4);
    expect(r.value('transport_message_size_bytes_bucket', { ...received, le: '64.0' })).toBe(3); // 0, 20, 0 (100 is above)
    // Bytes each way equal what the client put on the wire and got back; the client sockets agree.
    const c = await read(clients);
    expect(r.value('transport_io_bytes_total', received)).toBe(wire.sent);
    expect(r.value('transport_io_bytes_total', transmitted)).toBe(wire.received);
    expect(c.value('transport_io_bytes_total', transmitted)).toBe(wire.sent);
    expect(c.value('transport_io_bytes_total', received)).toBe(wire.received);
    // Four connections, each torn down by a FIN; clients timed four connection setups.
    expect(r.value('transport_connection_teardown_duration_seconds_count', http)).toBe(4);
    expect(c.value('transport_connection_setup_duration_seconds_count', http)).toBe(4);
    expect(c.value('transport_connections_active', http)).toBe(0);

    metered.close();
    await call(port, '/after-close');
    expect((await read(metrics)).value('transport_requests_total', http)).toBe(4);
    server.close();
  });

  it('counts an aborted request as an error response and an aborted error', async () => {
    const server = createServer(handler);
    meterServer(server, { metrics, transport: 'http' });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const req = request({ port, host: '127.0.0.1', path: '/hang', agent: false });
    req.on('error', () => {});
    req.end();
    await vi.waitFor(async () => expect((await read(metrics)).value('transport_requests_total', http)).toBe(1), { timeout: 10_000 });
    req.destroy();
    await vi.waitFor(
      async () => expect((await read(metrics)).value('transport_errors_total', { ...http, error_type: 'aborted' })).toBe(1),
      { timeout: 10_000 },
    );
    const r = await read(metrics);
    expect(r.value('transport_responses_total', { ...http, outcome: 'error' })).toBe(1);
    expect(r.value('transport_responses_total', { ...http, outcome: 'success' })).toBe(0);
    server.close();
  });

  it('records a raw TCP server: bytes while a connection is open (at collection) and after it closes', async () => {
    const server = createNetServer((socket) => socket.on('data', (d) => socket.write(d)));
    meterServer(server, { metrics, transport: 'tcp' });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const tcp = { transport_name: 'tcp' };
    let echoed = 0;
    socket.on('data', (d: Buffer) => (echoed += d.length));
    socket.write('x'.repeat(1000));
    await vi.waitFor(() => expect(echoed).toBe(1000), { timeout: 10_000 });
    const open = await read(metrics);
    expect(open.value('transport_connections_active', tcp)).toBe(1);
    expect(open.value('transport_io_bytes_total', { ...tcp, network_io_direction: 'receive' })).toBe(1000);
    expect(open.value('transport_io_bytes_total', { ...tcp, network_io_direction: 'transmit' })).toBe(1000);
    socket.write('y'.repeat(500));
    await vi.waitFor(() => expect(echoed).toBe(1500), { timeout: 10_000 });
    socket.end();
    await vi.waitFor(async () => expect((await read(metrics)).value('transport_connections_active', tcp)).toBe(0), { timeout: 10_000 });
    const closed = await read(metrics);
    expect(closed.value('transport_io_bytes_total', { ...tcp, network_io_direction: 'receive' })).toBe(1500);
    expect(closed.value('transport_io_bytes_total', { ...tcp, network_io_direction: 'transmit' })).toBe(1500);
    expect(closed.value('transport_connection_teardown_duration_seconds_count', tcp)).toBe(1);
    expect(closed.value('transport_requests_total', tcp)).toBe(0); // no message boundaries in a raw stream
    server.close();
  });
});
