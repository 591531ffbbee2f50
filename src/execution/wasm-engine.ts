/**
 * The reference execution engine: a script is a WebAssembly component (world
 * `demo-script` of wasm/examples/examples.wit: `run: func(input: string) ->
 * result<string, string>`) that calls the runtime's tools through the host
 * import `omnimeter:script/tools` (`call`, `call-parallel`), and imports
 * nothing else: no WASI, no clock, no file, no network.
 *
 * Each execution runs in its own worker thread (script-worker.ts), so the
 * host enforces both budgets whatever the script does: the time budget by
 * terminating the worker (status `timeout`, even in a loop that never calls
 * out), the step budget by refusing the call that exceeds it (status
 * `step_limit`; a step is one call to the host: a tool call, or one branch
 * of a parallel call). Components are transpiled once (jco, an optional
 * peer) and cached by sha256.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { transpileCached } from '../build/transpile.js';
import { readComponent } from '../host/load-node.js';
import {
  type ExecutionEngine,
  ExecutionError,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutionStatus,
  type ToolOutcome,
} from './engine.js';
import { type Answer, type WorkerInput, type WorkerMessage, scriptWorker } from './script-worker.js';

export interface WasmScriptEngineOptions {
  /** Where components are transpiled, by sha256. Default: omnimeter-scripts in the OS temporary folder. */
  cacheDir?: string;
  /** Budgets of requests that give none. Default 10 s and 10,000 steps. */
  limits?: { timeoutMs?: number; maxSteps?: number };
}

interface Prepared {
  gluePath: string;
  cores: Record<string, WebAssembly.Module>;
}

const STARTUP_GUARD_MS = 30_000;
const WORKER_SOURCE = `(${scriptWorker.toString()})(require);`;

/** Tool results cross to the script as JSON text; a result that is already text crosses as it is. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class WasmScriptEngine implements ExecutionEngine {
  private readonly cacheDir: string;
  private readonly defaults: { timeoutMs: number; maxSteps: number };
  private readonly prepared = new Map<string, Promise<Prepared>>();

  constructor(options: WasmScriptEngineOptions = {}) {
    this.cacheDir = options.cacheDir ?? join(tmpdir(), 'omnimeter-scripts');
    this.defaults = { timeoutMs: options.limits?.timeoutMs ?? 10_000, maxSteps: options.limits?.maxSteps ?? 10_000 };
    for (const [key, value] of Object.entries(this.defaults))
      if (!(Number.isFinite(value) && value > 0))
        throw new TypeError(`WasmScriptEngine: limits.${key}: expected a positive number, got ${value}`);
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (typeof request.script === 'string') throw new TypeError('WasmScriptEngine: the script must be a component (Uint8Array)');
    const timeoutMs = request.limits?.timeoutMs ?? this.defaults.timeoutMs;
    const maxSteps = request.limits?.maxSteps ?? this.defaults.maxSteps;
    let prepared: Prepared;
    try {
      prepared = await this.prepare(request.script);
    } catch (error) {
      return {
        status: 'error',
        error: new ExecutionError('invalid_script', `the script is not a usable component (${(error as Error).name})`),
        steps: 0,
      };
    }
    const input = typeof request.input === 'string' ? request.input : (JSON.stringify(request.input ?? null) ?? 'null');
    return this.run(prepared, request, input, timeoutMs, maxSteps);
  }

  /** Transpiles (cached on disk by sha256) and compiles (cached in memory) a component. */
  private prepare(bytes: Uint8Array): Promise<Prepared> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let prepared = this.prepared.get(sha256);
    if (!prepared) {
      prepared = (async () => {
        const source = join(this.cacheDir, 'incoming', sha256);
        await mkdir(source, { recursive: true });
        const wasm = join(source, 'script.component.wasm');
        await writeFile(wasm, bytes);
        const transpiled = await transpileCached(wasm, this.cacheDir, 'WasmScriptEngine (running a script component)');
        const compiled = readComponent(transpiled.dir, { name: transpiled.name });
        return { gluePath: join(transpiled.dir, `${transpiled.name}.js`), cores: Object.fromEntries(compiled.cores) };
      })();
      prepared.catch(() => this.prepared.delete(sha256));
      this.prepared.set(sha256, prepared);
    }
    return prepared;
  }

  private run(prepared: Prepared, request: ExecutionRequest, input: string, timeoutMs: number, maxSteps: number): Promise<ExecutionResult> {
    const flag = new SharedArrayBuffer(4);
    const signal = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    const workerData: WorkerInput = { gluePath: prepared.gluePath, cores: prepared.cores, input, maxSteps, flag, port: port2 as never };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2 as never] });
    let steps = 0;
    let settled = false;
    return new Promise<ExecutionResult>((resolve) => {
      const finish = (result: ExecutionResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        port1.close();
        void worker.terminate();
        resolve(result);
      };
      // Until the script starts, a generous guard for a stuck instantiation; then the script's own budget.
      let timer = setTimeout(
        () => finish({ status: 'error', error: new ExecutionError('engine_error', 'the script did not start within 30 s'), steps }),
        STARTUP_GUARD_MS,
      );
      const startBudget = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => finish({ status: 'timeout', error: new ExecutionError('timeout', `time budget of ${timeoutMs} ms spent`), steps }),
          timeoutMs,
        );
      };
      const answer = (value: Answer | Answer[]) => {
        if (settled) return;
        port1.postMessage(value);
        Atomics.store(signal, 0, 1);
        Atomics.notify(signal, 0);
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') startBudget();
        else if (message.type === 'call') {
          steps++;
          void this.call(request, message.name, message.args).then(answer);
        } else if (message.type === 'parallel') {
          steps += message.calls.length;
          void this.parallel(request, message.calls).then(answer);
        } else if (message.status === 'success') {
          finish({ status: 'success', output: message.output, steps: message.steps });
        } else {
          const status: ExecutionStatus = message.status;
          finish({ status, error: new ExecutionError(message.code, message.message), steps: message.steps });
        }
      });
      worker.on('error', (error) =>
        finish({ status: 'error', error: new ExecutionError('engine_error', `the script's worker failed (${error.name})`), steps }),
      );
      worker.on('exit', () =>
        finish({ status: 'error', error: new ExecutionError('engine_error', "the script's worker exited without an answer"), steps }),
      );
    });
  }

  private async call(request: ExecutionRequest, name: string, args: string): Promise<Answer> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      return { ok: false, error: 'the arguments are not JSON' };
    }
    try {
      return { ok: true, value: asText(await request.tools.call(name, parsed)) };
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
  }

  private async parallel(request: ExecutionRequest, calls: { name: string; arguments: string }[]): Promise<Answer[]> {
    const parsed: { tool: string; args: unknown }[] = [];
    const invalid = new Set<number>();
    calls.forEach((c, i) => {
      try {
        parsed.push({ tool: c.name, args: JSON.parse(c.arguments) });
      } catch {
        invalid.add(i);
      }
    });
    let outcomes: ToolOutcome[];
    try {
      outcomes = await request.tools.parallel(parsed);
    } catch (error) {
      return calls.map(() => ({ ok: false, error: errorText(error) }));
    }
    let next = 0;
    return calls.map((_, i): Answer => {
      if (invalid.has(i)) return { ok: false, error: 'the arguments are not JSON' };
      const outcome = outcomes[next++];
      if (!outcome) return { ok: false, error: 'no outcome' };
      return outcome.ok ? { ok: true, value: asText(outcome.value) } : { ok: false, error: errorText(outcome.error) };
    });
  }
}
