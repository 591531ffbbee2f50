/**
 * The contract between a tool runtime and an engine that executes user
 * scripts (a virtual `execute_tool_script` tool): the script calls the
 * runtime's tools, one by one or several at once, under a time and a step
 * budget. Telemetry is a decorator around any engine (telemetry.ts); the
 * WebAssembly host is the reference engine.
 */

/** How an execution ended. */
export type ExecutionStatus = 'success' | 'error' | 'timeout' | 'step_limit';

/** Calls one of the runtime's tools. Rejects when the tool fails; an MCP CallToolResult with isError counts as a tool error. */
export type CallTool = (tool: string, args: unknown) => Promise<unknown>;

export interface ToolCall {
  readonly tool: string;
  readonly args: unknown;
}

export type ToolOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** What an engine gives a script: the runtime's tools, alone or several in parallel (one branch per call). */
export interface ScriptTools {
  /**
   * Whether `tool` is one of the runtime's tools. Scripts choose the names
   * they call: telemetry records a name only when the runtime knows it
   * (others are `_OTHER`), so a script cannot write into spans.
   */
  has(tool: string): boolean;
  call(tool: string, args: unknown): Promise<unknown>;
  /** One `parallel()` of the script: every call starts at once; outcomes come back in order, failures included. */
  parallel(calls: readonly ToolCall[]): Promise<ToolOutcome[]>;
}

export interface ExecutionLimits {
  /** Wall-clock budget; the engine stops the script when it is spent (status timeout). */
  timeoutMs?: number;
  /** Step budget, as the engine counts steps (status step_limit). */
  maxSteps?: number;
}

export interface ExecutionRequest {
  /** The script: source text or a component's bytes. Telemetry records its sha256, never its content. */
  readonly script: string | Uint8Array;
  /** The script's input (a payload: never recorded). */
  readonly input?: unknown;
  /** The MCP session the execution belongs to (logs and spans; never a metric label). */
  readonly sessionId?: string;
  readonly tools: ScriptTools;
  readonly limits?: ExecutionLimits;
}

export interface ExecutionResult {
  readonly status: ExecutionStatus;
  /** The script's output on success (a payload: never recorded). */
  readonly output?: unknown;
  /** Why it did not succeed. */
  readonly error?: ExecutionError;
  /** Steps the script took, as the engine counts them. */
  readonly steps: number;
}

export interface ExecutionEngine {
  /** Resolves with the outcome (timeouts and step limits included); rejects only when the engine itself fails. */
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
}

/**
 * An error an engine reports. Its message is written by the engine and must
 * hold no payload (no script text, no tool arguments or results): telemetry
 * logs it. Other errors are logged by class name only.
 */
export class ExecutionError extends Error {
  constructor(
    /** Low-cardinality kind: `timeout`, `step_limit`, `trap`, `tool_failed`, `invalid_script`, ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExecutionError';
  }
}

/** The ScriptTools of a runtime's CallTool and tool names: parallel calls start together and settle independently. */
export function scriptTools(callTool: CallTool, names: Iterable<string>): ScriptTools {
  const known = new Set(names);
  return {
    has: (tool) => known.has(tool),
    call: (tool, args) => callTool(tool, args),
    parallel: (calls) =>
      Promise.all(
        calls.map(({ tool, args }) =>
          callTool(tool, args).then(
            (value): ToolOutcome => ({ ok: true, value }),
            (error: unknown): ToolOutcome => ({ ok: false, error }),
          ),
        ),
      ),
  };
}
