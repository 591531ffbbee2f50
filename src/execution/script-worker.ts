/**
 * The worker thread a script component runs in. The script's tool imports
 * are synchronous (a component cannot await), the runtime's tools are not:
 * each import posts the call to the main thread and blocks on Atomics.wait
 * until the answer is there (read with receiveMessageOnPort). The main
 * thread can terminate the worker at any moment: that is how a runaway
 * script is preempted.
 *
 * `scriptWorker` runs in the worker from its source text (`new Worker(text,
 * { eval: true })`): it must use nothing from this module's scope, and no
 * TypeScript construct that compiles to a helper.
 */

/** What the main thread gives the worker. */
export interface WorkerInput {
  /** The transpiled glue (`<name>.js`, jco --instantiation sync). */
  gluePath: string;
  /** Its compiled core modules by file name. */
  cores: Record<string, WebAssembly.Module>;
  input: string;
  maxSteps: number;
  /** Int32Array over a SharedArrayBuffer: [0] is 1 when an answer is waiting on `port`. */
  flag: SharedArrayBuffer;
  port: MessagePort;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'call'; name: string; args: string }
  | { type: 'parallel'; calls: { name: string; arguments: string }[] }
  | { type: 'done'; status: 'success'; output: string; steps: number }
  | { type: 'done'; status: 'error' | 'step_limit'; code: string; message: string; steps: number };

/** Main → worker: the answer to a call, or to a parallel call (one per branch). */
export type Answer = { ok: true; value: string } | { ok: false; error: string };

export function scriptWorker(require: (id: string) => unknown): void {
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = threads.workerData as WorkerInput;
  const parent = threads.parentPort!;
  const flag = new Int32Array(data.flag);
  let steps = 0;
  const STEP_LIMIT = 'omnimeter:step-limit';

  const ask = (message: WorkerMessage): unknown => {
    Atomics.store(flag, 0, 0);
    parent.postMessage(message);
    Atomics.wait(flag, 0, 0);
    return threads.receiveMessageOnPort(data.port as never)!.message;
  };
  // A step is a call the script makes to the host: one per tool call, one per parallel branch.
  const step = (count: number): void => {
    steps += count;
    if (steps > data.maxSteps) {
      steps = data.maxSteps;
      // An Error passes through jco's glue as a trap of the export: the script stops here.
      throw new Error(STEP_LIMIT);
    }
  };
  const tools = {
    call(name: string, args: string): string {
      step(1);
      const answer = ask({ type: 'call', name, args }) as Answer;
      if (answer.ok) return answer.value;
      throw { payload: answer.error }; // the glue turns an object with a payload into the result's err
    },
    callParallel(calls: { name: string; arguments: string }[]): { tag: 'ok' | 'err'; val: string }[] {
      step(calls.length);
      const answers = ask({ type: 'parallel', calls: calls.map((c) => ({ name: c.name, arguments: c.arguments })) }) as Answer[];
      return answers.map((a) => (a.ok ? { tag: 'ok', val: a.value } : { tag: 'err', val: a.error }));
    },
  };
  const done = (message: WorkerMessage): void => parent.postMessage(message);
  let run: (input: string) => string;
  try {
    const glue = require(data.gluePath) as {
      instantiate(core: (path: string) => WebAssembly.Module, imports: Record<string, unknown>): { run?: unknown };
    };
    const exports = glue.instantiate(
      (path) => {
        const module = data.cores[path.slice(path.lastIndexOf('/') + 1)];
        if (!module) throw new Error(`no core module ${path}`);
        return module;
      },
      { 'omnimeter:script/tools': tools, 'omnimeter:script/tools@0.1.0': tools },
    );
    if (typeof exports.run !== 'function') throw new TypeError('the component exports no run function');
    run = exports.run as (input: string) => string;
  } catch (error) {
    done({
      type: 'done',
      status: 'error',
      code: 'invalid_script',
      message: `the script cannot be instantiated (${(error as Error).name})`,
      steps,
    });
    return;
  }
  // The time budget starts now: instantiating is the engine's work, not the script's.
  parent.postMessage({ type: 'ready' } satisfies WorkerMessage);
  try {
    done({ type: 'done', status: 'success', output: run(data.input), steps });
  } catch (error) {
    const e = error as { message?: unknown; payload?: unknown };
    if (error instanceof Error && e.message === STEP_LIMIT)
      done({ type: 'done', status: 'step_limit', code: 'step_limit', message: `step limit of ${data.maxSteps} reached`, steps });
    else if (error instanceof WebAssembly.RuntimeError)
      done({ type: 'done', status: 'error', code: 'trap', message: `the script trapped (${error.message})`, steps });
    else if (e !== null && typeof e === 'object' && 'payload' in e)
      done({ type: 'done', status: 'error', code: 'script_error', message: 'the script returned an error', steps });
    else
      done({
        type: 'done',
        status: 'error',
        code: 'engine_error',
        message: `the script failed (${(error as Error)?.name ?? typeof error})`,
        steps,
      });
  }
}
