/**
 * OTLP metrics over gRPC: the same request omnimeter encodes for OTLP/HTTP
 * protobuf, sent as a unary call to
 * `opentelemetry.proto.collector.metrics.v1.MetricsService/Export` with
 * @grpc/grpc-js (an optional peer, loaded on the first export). Failures
 * throw, so the pipeline retries, counts and drops as for HTTP.
 */
import type * as Grpc from '@grpc/grpc-js';
import { importPeer } from '../build/peers.js';

const EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface GrpcTransport {
  /** `signal` (the pipeline's attempt timeout or shutdown deadline) cancels the call. */
  send(body: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Closes the channel: the next send opens a new one, without the old one's reconnection backoff. */
  reconnect(): Promise<void>;
}

/** A transport to `endpoint` (http://host:port, or https:// for TLS); headers become metadata. */
export function grpcTransport(endpoint: string, headers: Readonly<Record<string, string>>): GrpcTransport {
  let client: Promise<{ grpc: typeof Grpc; client: Grpc.Client }> | undefined;
  const connect = async () => {
    const grpc = await importPeer<typeof Grpc>('@grpc/grpc-js', 'the otlp exporter with protocol "grpc"');
    const url = new URL(endpoint);
    const tls = url.protocol === 'https:';
    const address = `${url.hostname}:${url.port || (tls ? 443 : 80)}`;
    return { grpc, client: new grpc.Client(address, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure()) };
  };
  return {
    async send(body, timeoutMs, signal) {
      client ??= connect().catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      const { grpc, client: c } = await client;
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const call = c.makeUnaryRequest(
          EXPORT,
          (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
          (b: Buffer) => b,
          body,
          metadata,
          { deadline: Date.now() + timeoutMs },
          (error) =>
            error ? reject(new Error(`gRPC ${grpc.status[error.code] ?? error.code} from ${endpoint}: ${error.details}`)) : resolve(),
        );
        signal?.addEventListener('abort', () => call.cancel(), { once: true });
      });
    },
    async close() {
      if (client) (await client.catch(() => undefined))?.client.close();
    },
    async reconnect() {
      const old = client;
      client = undefined;
      if (old) (await old.catch(() => undefined))?.client.close();
    },
  };
}
