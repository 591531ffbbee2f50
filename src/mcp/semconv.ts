/**
 * Names from the OpenTelemetry semantic conventions for the Model Context
 * Protocol, v1.41.0 (docs/gen-ai/mcp.md, status Development; the page has
 * since moved, unchanged in these names, to the GenAI semantic-conventions
 * repository), and the names omnimeter adds next to them. docs/mcp.md lists
 * them all; dashboards depend on them, so they change only with the spec.
 */

export const SEMCONV_VERSION = '1.41.0';

/** The conventions' recommended ExplicitBucketBoundaries for every MCP duration histogram (seconds). */
export const MCP_DURATION_BUCKETS: readonly number[] = Object.freeze([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);

/** Message sizes in bytes: 64 B to 4 MiB by powers of four. */
export const MCP_MESSAGE_SIZE_BUCKETS: readonly number[] = Object.freeze([64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304]);

/** Metric names: the four of the conventions, then omnimeter's. */
export const METRIC = {
  serverOperationDuration: 'mcp.server.operation.duration',
  clientOperationDuration: 'mcp.client.operation.duration',
  serverSessionDuration: 'mcp.server.session.duration',
  clientSessionDuration: 'mcp.client.session.duration',
  serverToolCalls: 'mcp.server.tool.calls',
  clientToolCalls: 'mcp.client.tool.calls',
  serverActiveRequests: 'mcp.server.active_requests',
  clientActiveRequests: 'mcp.client.active_requests',
  serverActiveSessions: 'mcp.server.active_sessions',
  clientActiveSessions: 'mcp.client.active_sessions',
  serverMessageSize: 'mcp.server.message.size',
  clientMessageSize: 'mcp.client.message.size',
  serverTransportErrors: 'mcp.server.transport.errors',
  clientTransportErrors: 'mcp.client.transport.errors',
} as const;

/** Attribute keys. */
export const ATTR = {
  methodName: 'mcp.method.name',
  protocolVersion: 'mcp.protocol.version',
  sessionId: 'mcp.session.id',
  resourceUri: 'mcp.resource.uri',
  toolName: 'gen_ai.tool.name',
  promptName: 'gen_ai.prompt.name',
  operationName: 'gen_ai.operation.name',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
  errorType: 'error.type',
  rpcStatusCode: 'rpc.response.status_code',
  jsonrpcVersion: 'jsonrpc.protocol.version',
  jsonrpcRequestId: 'jsonrpc.request.id',
  networkTransport: 'network.transport',
  networkProtocolName: 'network.protocol.name',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  /** `receive` or `transmit`, as the conventions' network metrics use it. */
  ioDirection: 'network.io.direction',
  /** omnimeter's tool-call counter: `success`, `tool_error` or `error`. */
  outcome: 'outcome',
} as const;

/**
 * `error.type` values besides JSON-RPC error codes (which are written as
 * strings, `-32602`). The conventions ask instrumentations to list them.
 */
export const ERROR_TYPE = {
  /** CallToolResult with isError: true. */
  toolError: 'tool_error',
  /** The sender gave up waiting (the SDK's request timeout, code -32001, sent as notifications/cancelled). */
  timeout: 'timeout',
  /** Cancelled by the sender (notifications/cancelled for another reason). */
  cancelled: 'cancelled',
  /** The transport closed while the request was in flight. */
  connectionClosed: 'connection_closed',
  /** The fallback the conventions define. */
  other: '_OTHER',
} as const;

/** The legacy attribute names `legacyAttributes: true` adds, as dashboards built before the conventions use them. */
export const DEFAULT_LEGACY_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({
  [ATTR.toolName]: 'tool_name',
});

/** The instrumentation scope of everything omnimeter/mcp records. */
export const MCP_INSTRUMENTATION_NAME = 'omnimeter/mcp';
export const MCP_INSTRUMENTATION_VERSION = '0.1.0';
