/**
 * One MCP session seen from its transport: every JSON-RPC message passes
 * through `onmessage` (received) or `send` (sent), so this is where the
 * conventions' operations begin and end, whichever side started them.
 *
 * - A request received is a `server` operation: it starts when the message
 *   arrives and ends when the response is handed to the transport ("from the
 *   time it was received until the result or ack is sent"), or when the peer
 *   cancels it, or when the transport closes.
 * - A request sent is a `client` operation: it starts at `send` and ends
 *   when the response arrives, the send fails, we cancel it (the SDK's
 *   timeout sends notifications/cancelled), or the transport closes.
 * - Notifications have no answer: a received one lasts while it is
 *   dispatched, a sent one until the transport accepted it.
 *
 * The server span of a request is the active context while the SDK runs its
 * handler (it schedules the handler inside our `context.with`), so spans the
 * handler starts are its children.
 */
import {
  type Attributes,
  type Context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context,
  trace,
} from '@opentelemetry/api';
import { utf8Bytes } from './bytes.js';
import { jsonUtf8Bytes } from './json-size.js';
import type { McpInstruments, RoleInstruments } from './instruments.js';
import type { ResolvedOptions } from './options.js';
import { contextFields, extractContext } from './propagation.js';
import { type Direction, SideRecorder, SizeRecorder, type Target } from './recorders.js';
import { ATTR, ERROR_TYPE } from './semconv.js';

type Id = string | number;

/** The parts of a JSON-RPC message this module reads. */
interface Message {
  jsonrpc?: unknown;
  id?: Id | null;
  method?: unknown;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: Record<string, unknown>;
  error?: { code?: unknown; message?: unknown };
}

/** The SDK's Transport interface, as far as instrumentation uses it. */
export interface TransportLike {
  start(): Promise<void>;
  send(message: never, options?: never): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: never, extra?: never) => void) | undefined;
  sessionId?: string | undefined;
}

type Send = (message: Message, options?: unknown) => Promise<void>;
type OnMessage = (message: Message, extra?: { requestInfo?: { headers?: Record<string, unknown> } }) => void;

export type Role = 'server' | 'client';
type Side = 'server' | 'client';

/** Transports the SDK ships, by class name: what `network.transport` and `network.protocol.name` they mean. */
const KNOWN_TRANSPORTS = new Map<string, { transport: string; protocol?: string }>([
  ['StdioServerTransport', { transport: 'pipe' }],
  ['StdioClientTransport', { transport: 'pipe' }],
  ['StreamableHTTPServerTransport', { transport: 'tcp', protocol: 'http' }],
  ['WebStandardStreamableHTTPServerTransport', { transport: 'tcp', protocol: 'http' }],
  ['StreamableHTTPClientTransport', { transport: 'tcp', protocol: 'http' }],
  ['SSEServerTransport', { transport: 'tcp', protocol: 'http' }],
  ['SSEClientTransport', { transport: 'tcp', protocol: 'http' }],
  ['WebSocketClientTransport', { transport: 'tcp', protocol: 'websocket' }],
]);

/** Where the client's fetch middleware puts what it learns of the server (server.address, server.port). */
export interface PeerInfo {
  address?: string;
  port?: number;
}

interface Operation extends Target {
  readonly side: Side;
  readonly method: string;
  /** A request (counted in flight until answered), not a notification. */
  readonly request: boolean;
  readonly start: number;
  readonly span: Span | undefined;
  /** The context the operation runs in (its span active), when it has a span. */
  readonly context: Context | undefined;
  /** The session's base attributes when it started (on its span already; rebuilt objects mean something changed). */
  readonly base: Attributes;
}

const isId = (id: unknown): id is Id => typeof id === 'string' || typeof id === 'number';

function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : ERROR_TYPE.other;
}

/** notifications/cancelled: the SDK's own timeout says McpError -32001 ("Request timed out") in its reason. */
function cancelType(reason: unknown): string {
  return typeof reason === 'string' && (/-32001\b/.test(reason) || /timed out/i.test(reason)) ? ERROR_TYPE.timeout : ERROR_TYPE.cancelled;
}

/** The params of a message, when they are an object. */
function paramsOf(message: Message): (Record<string, unknown> & { _meta?: Record<string, unknown> }) | undefined {
  const params = message.params;
  return params !== null && typeof params === 'object' ? params : undefined;
}

/** `params.name` of the method that names its target so (`tools/call` a tool, `prompts/get` a prompt). */
function nameOf(message: Message, method: string, of: 'tools/call' | 'prompts/get'): string | undefined {
  if (method !== of) return undefined;
  const name = paramsOf(message)?.name;
  return typeof name === 'string' ? name : undefined;
}

function uriOf(message: Message): string | undefined {
  const uri = paramsOf(message)?.uri;
  return typeof uri === 'string' ? uri : undefined;
}

const now = () => performance.now();

/** The conventions: the server span's parent is the context from _meta; the ambient span (an HTTP server span) becomes a link. */
function ambientLink(parent: Context, active: Context): Link[] | undefined {
  const ambient = trace.getSpanContext(active);
  if (ambient === undefined || parent === active) return undefined;
  return [{ context: ambient }];
}

/** Copies `source`'s keys onto `target` in order: a loop, because object spread is far slower on the hot path. */
function copyInto(target: Attributes, source: Attributes): Attributes {
  for (const key in source) target[key] = source[key];
  return target;
}

export class McpSession {
  private readonly incoming = new Map<Id, Operation>();
  private readonly outgoing = new Map<Id, Operation>();
  private readonly started = now();
  private readonly networkTransport: string | undefined;
  private readonly networkProtocol: string | undefined;
  private protocolVersion: string | undefined;
  private lastError: string | undefined;
  private closed = false;
  private readonly tracer: Tracer | undefined;
  private readonly role: RoleInstruments | undefined;
  /** Attributes every operation and session record starts with (transport, peer), rebuilt when the protocol version is learnt. */
  private base: Attributes = {};
  /** What each side's operations record into, resolved once per distinct attribute set (the hot path builds none). */
  private readonly server: SideRecorder | undefined;
  private readonly client: SideRecorder | undefined;
  private readonly sizes: SizeRecorder | undefined;

  constructor(
    private readonly transport: TransportLike,
    private readonly kind: Role,
    private readonly options: ResolvedOptions,
    instruments: McpInstruments | undefined,
    private readonly peer: PeerInfo,
  ) {
    const known = KNOWN_TRANSPORTS.get((transport as object).constructor?.name ?? '');
    this.networkTransport = options.networkTransport === false ? undefined : (options.networkTransport ?? known?.transport);
    this.networkProtocol = known?.protocol;
    this.tracer = options.tracerProvider?.getTracer('omnimeter/mcp');
    this.role = instruments?.[kind];
    if (instruments !== undefined) {
      this.server = new SideRecorder(instruments.server, options.legacy, options.resourceUriMetrics);
      this.client = new SideRecorder(instruments.client, options.legacy, options.resourceUriMetrics);
      if (options.messageSizes) this.sizes = new SizeRecorder(instruments[kind], this.networkTransport);
    }
    this.rebuildBase();
    this.role?.activeSessions.add(1, this.sessionAttributes(false));
  }

  /** Wraps `send` (call before the SDK sends anything). */
  hookSend(): void {
    const send = this.transport.send.bind(this.transport) as unknown as Send;
    (this.transport as unknown as { send: Send }).send = (message, options) => this.onSend(send, message, options);
  }

  /** Wraps the callbacks the SDK's Protocol set on the transport (call after connect set them, before messages flow). */
  hookCallbacks(): void {
    const t = this.transport as unknown as { onmessage?: OnMessage; onclose?: () => void; onerror?: (e: Error) => void };
    const onmessage = t.onmessage;
    const onclose = t.onclose;
    const onerror = t.onerror;
    t.onmessage = (message, extra) => this.onMessage(onmessage, message, extra);
    t.onclose = () => {
      this.close();
      onclose?.();
    };
    t.onerror = (error) => {
      this.transportError(error);
      onerror?.(error);
    };
  }

  // ----- received ---------------------------------------------------------------------------

  private onMessage(inner: OnMessage | undefined, message: Message, extra?: Parameters<OnMessage>[1]): void {
    if (message === null || typeof message !== 'object') return inner?.(message, extra);
    const method = message.method;
    if (typeof method === 'string') {
      if (this.protocolVersion === undefined) this.versionFromHeaders(extra);
      if (isId(message.id)) {
        const op = this.begin('server', method, message);
        if (op === undefined) return inner?.(message, extra);
        this.incoming.set(message.id, op);
        this.size(method, 'receive', message);
        if (op.context === undefined) return inner?.(message, extra);
        return context.with(op.context as Context, () => inner?.(message, extra));
      }
      if (method === 'notifications/cancelled') this.cancelled(this.incoming, message);
      const op = this.begin('server', method, message);
      if (op === undefined) return inner?.(message, extra);
      this.size(method, 'receive', message);
      try {
        if (op.context === undefined) inner?.(message, extra);
        else context.with(op.context, () => inner?.(message, extra));
      } finally {
        this.end(op, undefined);
      }
      return;
    }
    this.answered(this.outgoing, message, 'receive');
    inner?.(message, extra);
  }

  // ----- sent -------------------------------------------------------------------------------

  private onSend(send: Send, message: Message, options: unknown): Promise<void> {
    if (message === null || typeof message !== 'object') return send(message, options);
    const method = message.method;
    if (typeof method === 'string') {
      if (method === 'notifications/cancelled') this.cancelled(this.outgoing, message);
      const op = this.begin('client', method, message);
      if (op === undefined) return send(message, options);
      const out = this.inject(message, op);
      this.size(method, 'transmit', out);
      if (isId(message.id)) {
        this.outgoing.set(message.id, op);
        const sent = send(out, options);
        sent.then(undefined, (error) => this.failed(message.id as Id, op, error));
        return sent;
      }
      const sent = send(out, options);
      sent.then(
        () => this.end(op, undefined),
        (error) => this.end(op, undefined, errorTypeOf(error)),
      );
      return sent;
    }
    this.answered(this.incoming, message, 'transmit');
    return send(message, options);
  }

  /** A response (received or sent): ends the operation it answers, found among those `pending`. */
  private answered(pending: Map<Id, Operation>, message: Message, direction: Direction): void {
    if (!isId(message.id)) return;
    const op = pending.get(message.id);
    if (op === undefined) return;
    pending.delete(message.id);
    if (op.method === 'initialize') this.versionFromResult(message);
    this.size(op.method, direction, message);
    this.end(op, message);
  }

  private failed(id: Id, op: Operation, error: unknown): void {
    if (this.outgoing.get(id) !== op) return;
    this.outgoing.delete(id);
    this.end(op, undefined, errorTypeOf(error));
  }

  /** The message with our context in `params._meta` (a copy: the caller's params are not touched). */
  private inject(message: Message, op: Operation): Message {
    const fields = contextFields(op.context ?? context.active());
    if (fields === undefined) return message;
    const params = message.params ?? {};
    return { ...message, params: { ...params, _meta: { ...params._meta, ...fields } } };
  }

  /** The span's parent: for a received message, the context its `_meta` carries (else the active one). */
  private parentOf(side: Side, message: Message, active: Context): Context {
    return (side === 'server' && extractContext(active, message.params?._meta)) || active;
  }

  // ----- operations -------------------------------------------------------------------------

  private begin(side: Side, method: string, message: Message): Operation | undefined {
    const tool = nameOf(message, method, 'tools/call');
    if (!this.options.selected(method, tool)) return undefined;
    const prompt = tool === undefined ? nameOf(message, method, 'prompts/get') : undefined;
    const uri = tool === undefined && prompt === undefined ? uriOf(message) : undefined;
    const request = isId(message.id);
    if (request) this.recorder(side)?.activeRequests(method, 1);
    // Without a tracer provider nothing here touches the context API: no parent, no span.
    if (this.tracer === undefined)
      return { side, method, tool, prompt, uri, request, start: now(), span: undefined, context: undefined, base: this.base };
    // Read once: the operation starts and runs (the SDK's handler, our inject) in this same synchronous turn.
    const active = context.active();
    const span = this.startSpan(this.tracer, active, side, method, message, tool, prompt, uri, request);
    const ctx = trace.setSpan(active, span);
    return { side, method, tool, prompt, uri, request, start: now(), span, context: ctx, base: this.base };
  }

  private startSpan(
    tracer: Tracer,
    active: Context,
    side: Side,
    method: string,
    message: Message,
    tool: string | undefined,
    prompt: string | undefined,
    uri: string | undefined,
    request: boolean,
  ): Span {
    const attributes: Attributes = { [ATTR.methodName]: method };
    if (tool !== undefined) {
      attributes[ATTR.operationName] = 'execute_tool';
      attributes[ATTR.toolName] = tool;
    } else if (prompt !== undefined) attributes[ATTR.promptName] = prompt;
    copyInto(attributes, this.base);
    if (uri !== undefined) attributes[ATTR.resourceUri] = uri;
    if (request) attributes[ATTR.jsonrpcRequestId] = String(message.id);
    const sessionId = this.transport.sessionId;
    if (sessionId) attributes[ATTR.sessionId] = sessionId;
    if (tool !== undefined && this.options.recordToolArguments && message.params?.arguments !== undefined)
      attributes[ATTR.toolCallArguments] = JSON.stringify(message.params.arguments);
    const name = tool ?? prompt;
    const parent = this.parentOf(side, message, active);
    const links = side === 'server' ? ambientLink(parent, active) : undefined;
    return tracer.startSpan(
      name === undefined ? method : `${method} ${name}`,
      { kind: side === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, attributes, links },
      parent,
    );
  }

  /** Ends an operation with its response (if any) or an error type. */
  private end(op: Operation, response: Message | undefined, errorType?: string): void {
    let rpcCode: string | undefined;
    let statusMessage: string | undefined;
    let type = errorType;
    if (response?.error !== undefined && response.error !== null) {
      const code = response.error.code;
      rpcCode = typeof code === 'number' ? String(code) : ERROR_TYPE.other;
      type = rpcCode;
      if (typeof response.error.message === 'string') statusMessage = response.error.message;
    } else if (op.tool !== undefined && response?.result?.isError === true) type = ERROR_TYPE.toolError;
    const recorder = this.recorder(op.side);
    if (recorder !== undefined) {
      recorder.duration(op.method, op, type, rpcCode, (now() - op.start) / 1000);
      if (op.request) recorder.activeRequests(op.method, -1);
      if (op.tool !== undefined)
        recorder.toolCall(op.tool, type === undefined ? 'success' : type === ERROR_TYPE.toolError ? 'tool_error' : 'error');
    }
    const span = op.span;
    if (span === undefined) return;
    // Learnt while it ran (the protocol version at initialize, the peer at the first HTTP request): add it now.
    if (op.base !== this.base) {
      if (this.protocolVersion !== undefined) span.setAttribute(ATTR.protocolVersion, this.protocolVersion);
      if (this.peer.address !== undefined && op.side === 'client') {
        span.setAttribute(ATTR.serverAddress, this.peer.address);
        if (this.peer.port !== undefined) span.setAttribute(ATTR.serverPort, this.peer.port);
      }
    }
    if (op.tool !== undefined && this.options.recordToolResults && response?.result !== undefined && type === undefined)
      span.setAttribute(ATTR.toolCallResult, JSON.stringify(response.result));
    if (type !== undefined) {
      span.setAttribute(ATTR.errorType, type);
      if (rpcCode !== undefined) span.setAttribute(ATTR.rpcStatusCode, rpcCode);
      span.setStatus(statusMessage === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: statusMessage });
    }
    span.end();
  }

  private cancelled(pending: Map<Id, Operation>, message: Message): void {
    const id = message.params?.requestId;
    if (!isId(id)) return;
    const op = pending.get(id);
    if (op === undefined) return;
    pending.delete(id);
    this.end(op, undefined, cancelType(message.params?.reason));
  }

  private recorder(side: Side): SideRecorder | undefined {
    return side === 'server' ? this.server : this.client;
  }

  // ----- session ----------------------------------------------------------------------------

  private rebuildBase(): void {
    const base: Attributes = {};
    if (this.protocolVersion !== undefined) base[ATTR.protocolVersion] = this.protocolVersion;
    base[ATTR.jsonrpcVersion] = '2.0';
    if (this.networkTransport !== undefined) base[ATTR.networkTransport] = this.networkTransport;
    if (this.networkProtocol !== undefined) base[ATTR.networkProtocolName] = this.networkProtocol;
    if (this.kind === 'client' && this.peer.address !== undefined) {
      base[ATTR.serverAddress] = this.peer.address;
      if (this.peer.port !== undefined) base[ATTR.serverPort] = this.peer.port;
    }
    this.base = base;
    this.server?.rebase(base);
    this.client?.rebase(base);
  }

  /** Called by the fetch middleware when it learns where the server is. */
  peerChanged(): void {
    this.rebuildBase();
  }

  private versionFromResult(message: Message): void {
    const version = message.result?.protocolVersion;
    if (typeof version === 'string' && version !== this.protocolVersion) {
      this.protocolVersion = version;
      this.rebuildBase();
    }
  }

  /** Stateless Streamable HTTP never sees initialize: each request carries the version in a header. */
  private versionFromHeaders(extra: Parameters<OnMessage>[1]): void {
    const header = extra?.requestInfo?.headers?.['mcp-protocol-version'];
    if (typeof header === 'string' && header !== '') {
      this.protocolVersion = header;
      this.rebuildBase();
    }
  }

  private sessionAttributes(withError: boolean): Attributes {
    const attributes: Attributes = {};
    if (this.networkTransport !== undefined) attributes[ATTR.networkTransport] = this.networkTransport;
    if (!withError) return attributes;
    const full: Attributes = { ...this.base };
    if (this.lastError !== undefined) full[ATTR.errorType] = this.lastError;
    return full;
  }

  private transportError(error: Error): void {
    const type = errorTypeOf(error);
    this.lastError = type;
    const attributes: Attributes = { [ATTR.errorType]: type };
    if (this.networkTransport !== undefined) attributes[ATTR.networkTransport] = this.networkTransport;
    this.role?.transportErrors.add(1, attributes);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of [this.incoming, this.outgoing]) {
      const ops = [...pending.values()];
      pending.clear();
      for (const op of ops) this.end(op, undefined, ERROR_TYPE.connectionClosed);
    }
    this.role?.sessionDuration.record((now() - this.started) / 1000, this.sessionAttributes(true));
    this.role?.activeSessions.add(-1, this.sessionAttributes(false));
  }

  private size(method: string, direction: Direction, message: Message): void {
    if (this.sizes === undefined) return;
    const bytes = jsonUtf8Bytes(message, utf8Bytes);
    if (bytes !== undefined) this.sizes.record(method, direction, bytes);
  }
}
