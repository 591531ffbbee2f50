/**
 * `instrumentServer` / `instrumentClient`: one call on an SDK object, before
 * or after it connects. They hook the transport the object connects to
 * (Transport.onmessage/onclose/onerror and send, the SDK's public transport
 * contract), not the SDK's private fields: the Protocol sets its callbacks on
 * the transport in `connect` before starting it, and we wrap them at `start`.
 */
import type { McpInstruments } from './instruments.js';
import { mcpInstruments } from './instruments.js';
import { type McpInstrumentationOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { McpSession, type PeerInfo, type Role, type TransportLike } from './session.js';

/** The SDK's Protocol (Server, Client), as far as instrumentation uses it. */
export interface ProtocolLike {
  connect(transport: never, ...rest: never[]): Promise<void>;
  readonly transport?: unknown;
}

/** An SDK `Server` or `Client`, or an `McpServer` (whose `server` is the Protocol). */
export type Instrumentable = ProtocolLike | { readonly server: ProtocolLike };

interface State {
  readonly role: Role;
  readonly peer: PeerInfo;
  session: McpSession | undefined;
}

const instrumented = new WeakMap<object, State>();

function protocolOf(target: Instrumentable, name: string): ProtocolLike {
  const inner = (target as { server?: unknown }).server as ProtocolLike | undefined;
  if (inner !== null && typeof inner === 'object' && typeof inner.connect === 'function') return inner;
  if (target !== null && typeof target === 'object' && typeof (target as ProtocolLike).connect === 'function')
    return target as ProtocolLike;
  throw new TypeError(`${name}: expected an MCP SDK Server, McpServer or Client, got ${target === null ? 'null' : typeof target}`);
}

function isTransport(value: unknown): value is TransportLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as TransportLike).send === 'function' &&
    typeof (value as TransportLike).start === 'function'
  );
}

function attach(protocol: ProtocolLike, role: Role, options: ResolvedOptions, instruments: McpInstruments | undefined, name: string): void {
  if (instrumented.has(protocol)) throw new Error(`${name}: this ${role} is already instrumented`);
  const state: State = { role, peer: {}, session: undefined };
  instrumented.set(protocol, state);
  const open = (transport: TransportLike) => {
    state.session = new McpSession(transport, role, options, instruments, state.peer);
    return state.session;
  };
  // Connected already: the Protocol's callbacks are in place; wrap them now.
  const current = protocol.transport;
  if (isTransport(current)) {
    const session = open(current);
    session.hookSend();
    session.hookCallbacks();
  }
  const connect = protocol.connect;
  (protocol as { connect: (...args: unknown[]) => Promise<void> }).connect = function (this: unknown, ...args: unknown[]) {
    const transport = args[0];
    if (isTransport(transport)) {
      const session = open(transport);
      session.hookSend();
      const start = transport.start;
      transport.start = function (this: unknown) {
        transport.start = start; // once: a transport is started once per connection
        session.hookCallbacks();
        return start.call(this);
      };
    }
    return (connect as (...a: unknown[]) => Promise<void>).apply(this, args);
  };
}

function instrument<T extends Instrumentable>(target: T, options: McpInstrumentationOptions, role: Role, name: string): T {
  const protocol = protocolOf(target, name);
  const resolved = resolveOptions(options ?? {});
  // Nothing to record: leave the object untouched (zero overhead).
  if (resolved.meterProvider === undefined && resolved.tracerProvider === undefined) return target;
  attach(protocol, role, resolved, resolved.meterProvider && mcpInstruments(resolved.meterProvider), name);
  return target;
}

/**
 * Records the conventions' server metrics and spans for an SDK `McpServer`
 * or `Server`: `instrumentServer(server, { metrics, tracerProvider })`.
 * Returns the server.
 */
export function instrumentServer<T extends Instrumentable>(server: T, options: McpInstrumentationOptions): T {
  return instrument(server, options, 'server', 'instrumentServer');
}

/** The same for an SDK `Client`: client operation metrics and spans, trace context sent in `params._meta`. */
export function instrumentClient<T extends Instrumentable>(client: T, options: McpInstrumentationOptions): T {
  return instrument(client, options, 'client', 'instrumentClient');
}

/** The SDK's `FetchLike` and `Middleware` (client/middleware.js), structurally. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;
export type FetchMiddleware = (next: FetchLike) => FetchLike;

/**
 * A fetch middleware for an instrumented client's HTTP transport (the SDK's
 * `applyMiddlewares`, or `fetch: mcpFetchMiddleware(client)(fetch)` in
 * StreamableHTTPClientTransport's options): gives its operations and
 * sessions `server.address` and `server.port`, which the transport does not
 * expose.
 */
export function mcpFetchMiddleware(client: Instrumentable): FetchMiddleware {
  const state = instrumented.get(protocolOf(client, 'mcpFetchMiddleware'));
  return (next) => {
    if (state === undefined) return next; // not instrumented (or nothing to record): nothing to add
    return (url, init) => {
      const target = typeof url === 'string' ? new URL(url) : url;
      const address = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80;
      if (state.peer.address !== address || state.peer.port !== port) {
        state.peer.address = address;
        state.peer.port = port;
        state.session?.peerChanged();
      }
      return next(url, init);
    };
  };
}
