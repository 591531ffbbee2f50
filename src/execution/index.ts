/**
 * `omnimeter/execution`: telemetry for tool runtimes that execute user
 * scripts (an `execute_tool_script` tool), as a decorator around any engine,
 * and the reference engine: WebAssembly components calling the runtime's
 * tools through a host import, under time and step budgets (Node). See
 * docs/mcp.md.
 */
export {
  type CallTool,
  type ExecutionEngine,
  ExecutionError,
  type ExecutionLimits,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutionStatus,
  type ScriptTools,
  type ToolCall,
  type ToolOutcome,
  scriptTools,
} from './engine.js';
export {
  EXECUTION_BUCKETS,
  EXECUTION_INSTRUMENTATION_NAME,
  EXECUTION_METRICS,
  type ExecutionLogRecord,
  type ExecutionTelemetryOptions,
  instrumentEngine,
  scriptHash,
} from './telemetry.js';
export { WasmScriptEngine, type WasmScriptEngineOptions } from './wasm-engine.js';
