/**
 * The HTTP side of an OTLP receiver on 127.0.0.1: each request body (JSON or
 * protobuf) is decoded and verified with the OpenTelemetry project's
 * generated message types, handed to `accept`, and answered as a collector
 * answers (an encoded Export*ServiceResponse, or `{}` for JSON).
 */
import { type Server, createServer } from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type MessageType = any;

export interface OtlpHttpOptions {
  /** Status to answer with instead of decoding (an outage when not 200). */
  status?: () => number;
  /** Adjusts a parsed JSON body before the protobuf mapping reads it. */
  fromJson?: (json: unknown) => unknown;
}

export async function otlpHttpServer(
  types: { Request: MessageType; Response: MessageType },
  accept: (message: unknown, contentType: string) => void,
  options: OtlpHttpOptions = {},
): Promise<Server> {
  const { Request, Response } = types;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = options.status?.() ?? 200;
      if (status !== 200) {
        res.writeHead(status).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      const json = type.startsWith('application/json');
      try {
        const parsed = json ? JSON.parse(body.toString()) : undefined;
        const message = json ? Request.fromObject(options.fromJson ? options.fromJson(parsed) : parsed) : Request.decode(body);
        const problem = Request.verify(message);
        if (problem) throw new Error(problem);
        accept(message, type);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Response.encode(Response.create({})).finish());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
