/**
 * Telemetry for script execution, as a decorator around any engine:
 * `instrumentEngine(engine, { meterProvider, tracerProvider, log })`.
 * Providers are injected, never global. What it records never contains the
 * script or a payload: the script is known by its sha256, tools by name,
 * errors by kind (and by message only when an engine wrote it, see
 * ExecutionError).
 */
import {
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  context,
  trace,
} from '@opentelemetry/api';
import {
  type ExecutionEngine,
  ExecutionError,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutionStatus,
  type ScriptTools,
  type ToolCall,
  type ToolOutcome,
} from './engine.js';

/** The instrumentation scope of everything below (meter and tracer). */
export const EXECUTION_INSTRUMENTATION_NAME = 'omnimeter/execution';
export const EXECUTION_INSTRUMENTATION_VERSION = '0.1.0';

/** Bucket bounds of every execution histogram, in one place. */
export const EXECUTION_BUCKETS = Object.freeze({
  /** Execution duration, seconds: 1 ms to 5 min. */
  seconds: Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
  /** Inner tool calls per execution. */
  toolCalls: Object.freeze([0, 1, 2, 4, 8, 16, 32, 64, 128, 256]),
});

/** What a tool name the runtime does not know is recorded as (the conventions' fallback value). */
const UNKNOWN_TOOL = '_OTHER';

export const EXECUTION_METRICS = Object.freeze({
  executions: 'script.executions',
  duration: 'script.execution.duration',
  toolCalls: 'script.execution.tool_calls',
  parallelBranches: 'script.parallel.branches',
});

/** One structured log record. Never the script, its input or output, nor tool arguments or results. */
export interface ExecutionLogRecord {
  event: 'script.start' | 'script.finish' | 'script.error';
  /** sha256 of the script, hex. */
  scriptHash: string;
  sessionId?: string;
  durationMs?: number;
  status?: ExecutionStatus;
  toolCalls?: number;
  parallelBranches?: number;
  steps?: number;
  /** The error's kind (ExecutionError code, or class name) and, for ExecutionErrors only, the engine's message. */
  error?: { type: string; message?: string };
}

export interface ExecutionTelemetryOptions {
  meterProvider?: MeterProvider;
  tracerProvider?: TracerProvider;
  log?: (record: ExecutionLogRecord) => void;
}

interface Instruments {
  executions: Counter;
  duration: Histogram;
  toolCalls: Histogram;
  parallelBranches: Counter;
}

const instrumentsByProvider = new WeakMap<MeterProvider, Instruments>();

function instrumentsOf(provider: MeterProvider): Instruments {
  let instruments = instrumentsByProvider.get(provider);
  if (instruments) return instruments;
  const meter = provider.getMeter(EXECUTION_INSTRUMENTATION_NAME, EXECUTION_INSTRUMENTATION_VERSION);
  instruments = {
    executions: meter.createCounter(EXECUTION_METRICS.executions, {
      description: 'Script executions, by status (success, error, timeout, step_limit).',
      unit: '{execution}',
    }),
    duration: meter.createHistogram(EXECUTION_METRICS.duration, {
      description: 'Duration of script executions.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...EXECUTION_BUCKETS.seconds] },
    }),
    toolCalls: meter.createHistogram(EXECUTION_METRICS.toolCalls, {
      description: 'Inner tool calls made by one script execution.',
      unit: '{call}',
      advice: { explicitBucketBoundaries: [...EXECUTION_BUCKETS.toolCalls] },
    }),
    parallelBranches: meter.createCounter(EXECUTION_METRICS.parallelBranches, {
      description: 'Branches started by the parallel() calls of scripts.',
      unit: '{branch}',
    }),
  };
  instrumentsByProvider.set(provider, instruments);
  return instruments;
}

function toHex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256 of the script (WebCrypto: Node and pages). */
export async function scriptHash(script: string | Uint8Array): Promise<string> {
  const bytes = typeof script === 'string' ? new TextEncoder().encode(script) : script;
  return toHex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** What telemetry may say about an error: its kind, and the engine's own message for ExecutionErrors. */
function describe(error: unknown): { type: string; message?: string } {
  if (error instanceof ExecutionError) return { type: error.code, message: error.message };
  const name = (error as { name?: unknown } | null)?.name;
  return { type: typeof name === 'string' && name !== '' ? name : 'Error' };
}

/** Counts and traces the tool calls of one execution. */
class ToolsProbe implements ScriptTools {
  calls = 0;
  branches = 0;
  parallelUsed = false;

  constructor(
    private readonly inner: ScriptTools,
    private readonly tracer: Tracer | undefined,
    private readonly parent: Context,
    private readonly onBranches: (count: number) => void,
  ) {}

  has(tool: string): boolean {
    return this.inner.has(tool);
  }

  call(tool: string, args: unknown): Promise<unknown> {
    return this.traced(tool, false, () => this.inner.call(tool, args));
  }

  async parallel(calls: readonly ToolCall[]): Promise<ToolOutcome[]> {
    this.parallelUsed = true;
    this.branches += calls.length;
    this.onBranches(calls.length);
    // Each branch through the same inner `call`, so each has its own child span.
    const outcomes = calls.map(({ tool, args }) =>
      this.traced(tool, true, () => this.inner.call(tool, args)).then(
        (value): ToolOutcome => ({ ok: true, value }),
        (error: unknown): ToolOutcome => ({ ok: false, error }),
      ),
    );
    return Promise.all(outcomes);
  }

  private async traced(tool: string, branch: boolean, run: () => Promise<unknown>): Promise<unknown> {
    this.calls++;
    // The script chose this name: only a name the runtime knows is recorded.
    const name = this.inner.has(tool) ? tool : UNKNOWN_TOOL;
    const span = this.tracer?.startSpan(
      `execute_tool ${name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'script.parallel': branch },
      },
      this.parent,
    );
    try {
      const value = span ? await context.with(trace.setSpan(this.parent, span), run) : await run();
      if ((value as { isError?: unknown } | null)?.isError === true) {
        span?.setAttribute('error.type', 'tool_error');
        span?.setStatus({ code: SpanStatusCode.ERROR });
      }
      return value;
    } catch (error) {
      span?.setAttribute('error.type', describe(error).type);
      span?.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span?.end();
    }
  }
}

/**
 * The engine, with metrics (executions by status, duration, inner tool calls
 * per execution, parallel branches), a span per execution with a child span
 * per inner tool call, and start/finish/error logs.
 */
export function instrumentEngine(engine: ExecutionEngine, options: ExecutionTelemetryOptions): ExecutionEngine {
  const instruments = options.meterProvider && instrumentsOf(options.meterProvider);
  const tracer = options.tracerProvider?.getTracer(EXECUTION_INSTRUMENTATION_NAME, EXECUTION_INSTRUMENTATION_VERSION);
  const log = options.log;
  if (!instruments && !tracer && !log) return engine;
  return {
    async execute(request: ExecutionRequest): Promise<ExecutionResult> {
      const hash = await scriptHash(request.script);
      const sessionId = request.sessionId;
      const spanAttributes: Attributes = { 'script.hash': hash };
      if (sessionId !== undefined) spanAttributes['mcp.session.id'] = sessionId;
      const span: Span | undefined = tracer?.startSpan('execute_script', { kind: SpanKind.INTERNAL, attributes: spanAttributes });
      const parent = span ? trace.setSpan(context.active(), span) : context.active();
      const tools = new ToolsProbe(request.tools, tracer, parent, (count) => instruments?.parallelBranches.add(count));
      log?.({ event: 'script.start', scriptHash: hash, ...(sessionId !== undefined && { sessionId }) });
      const started = performance.now();
      let result: ExecutionResult | undefined;
      let failure: unknown;
      try {
        result = await context.with(parent, () => engine.execute({ ...request, tools }));
        return result;
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        const durationMs = performance.now() - started;
        const status: ExecutionStatus = result?.status ?? 'error';
        const error = result ? result.error && describe(result.error) : describe(failure);
        const steps = result?.steps ?? 0;
        const attributes = { status };
        instruments?.executions.add(1, attributes);
        instruments?.duration.record(durationMs / 1000, attributes);
        instruments?.toolCalls.record(tools.calls, attributes);
        if (span) {
          span.setAttributes({
            'script.status': status,
            'script.tool_count': tools.calls,
            'script.parallel_used': tools.parallelUsed,
            'script.step_count': steps,
          });
          if (status !== 'success') {
            span.setAttribute('error.type', status === 'error' ? (error?.type ?? 'error') : status);
            span.setStatus(
              error?.message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: error.message },
            );
          }
          span.end();
        }
        if (log) {
          const record: ExecutionLogRecord = {
            event: status === 'success' ? 'script.finish' : 'script.error',
            scriptHash: hash,
            durationMs,
            status,
            toolCalls: tools.calls,
            parallelBranches: tools.branches,
            steps,
          };
          if (sessionId !== undefined) record.sessionId = sessionId;
          if (status !== 'success' && error !== undefined) record.error = error;
          log(record);
        }
      }
    },
  };
}
