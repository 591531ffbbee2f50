/**
 * `omnimeter/mcp`: Model Context Protocol servers and clients (the
 * `@modelcontextprotocol/sdk` 1.x, an optional peer dependency that this
 * module never imports) instrumented in one call, following the
 * OpenTelemetry semantic conventions for MCP. See docs/mcp.md.
 */
export {
  instrumentServer,
  instrumentClient,
  mcpFetchMiddleware,
  type FetchLike,
  type FetchMiddleware,
  type Instrumentable,
  type ProtocolLike,
} from './instrument.js';
export type { McpInstrumentationOptions, McpRule } from './options.js';
export type { TransportLike } from './session.js';
export {
  ATTR as MCP_ATTRIBUTES,
  ERROR_TYPE as MCP_ERROR_TYPES,
  MCP_DURATION_BUCKETS,
  MCP_INSTRUMENTATION_NAME,
  MCP_MESSAGE_SIZE_BUCKETS,
  METRIC as MCP_METRICS,
  SEMCONV_VERSION as MCP_SEMCONV_VERSION,
} from './semconv.js';
