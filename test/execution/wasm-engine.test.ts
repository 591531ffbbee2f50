/**
 * The reference engine: the demo-script component (wasm/examples/demo-script.ts)
 * calls the runtime's tools through the host import, one by one and in
 * parallel, and the host holds its time and step budgets whatever it does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionError, type ExecutionRequest, WasmScriptEngine, scriptTools } from '../../src/execution/index.js';
import { componentDir } from '../support/components.js';

let script: Uint8Array;
let engine: WasmScriptEngine;
beforeAll(async () => {
  const dir = await componentDir('demo-script');
  script = readFileSync(join(dir, '..', 'demo-script.component.wasm'));
  engine = new WasmScriptEngine();
});

/** A runtime with a few tools; it remembers what it was asked and how many calls overlapped. */
function runtime() {
  const calls: { tool: string; args: unknown }[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const tools = scriptTools(
    async (tool, args) => {
      calls.push({ tool, args });
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      try {
        await sleep(20);
        const text = (args as { text?: string }).text ?? '';
        if (tool === 'upper') return { content: [{ type: 'text', text: text.toUpperCase() }] };
        if (tool === 'count') return text.split(/\s+/).filter(Boolean).length;
        if (tool === 'broken') throw new Error('the tool broke');
        throw new Error(`no tool ${tool}`);
      } finally {
        running--;
      }
    },
    ['upper', 'count', 'broken'],
  );
  return { tools, calls, concurrency: () => maxConcurrent };
}

const request = (input: string, tools: ExecutionRequest['tools'], limits?: ExecutionRequest['limits']): ExecutionRequest => ({
  script,
  input,
  tools,
  limits,
});

describe('WasmScriptEngine', () => {
  it('runs a script that calls tools one by one and in parallel, through the host import', async () => {
    const rt = runtime();
    const result = await engine.execute(
      request(
        'call upper {"text":"héllo"}\nparallel count {"text":"a b c"} ;; upper {"text":"x"} ;; broken {}\ncall count {"text":"one"}',
        rt.tools,
      ),
    );
    expect(result.status).toBe('success');
    expect((result.output as string).split('\n')).toEqual([
      'ok {"content":[{"type":"text","text":"HÉLLO"}]}',
      'ok 3',
      'ok {"content":[{"type":"text","text":"X"}]}',
      'error the tool broke',
      'ok 1',
      '',
    ]);
    expect(rt.calls.map((c) => c.tool)).toEqual(['upper', 'count', 'upper', 'broken', 'count']);
    expect(rt.calls[0]!.args).toEqual({ text: 'héllo' });
    // The three branches of the parallel call ran at once.
    expect(rt.concurrency()).toBe(3);
    expect(result.steps).toBe(5);
  });

  it('stops a script that never calls out when its time budget is spent (timeout)', async () => {
    const rt = runtime();
    const started = performance.now();
    const result = await engine.execute(request('call count {"text":"a"}\nspin', rt.tools, { timeoutMs: 300 }));
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ status: 'timeout', steps: 1 });
    expect(result.error).toBeInstanceOf(ExecutionError);
    expect(result.error!.code).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The worker is gone: the engine serves the next script at once.
    const next = await engine.execute(request('call count {"text":"a b"}', runtime().tools));
    expect(next).toMatchObject({ status: 'success', output: 'ok 2\n' });
  });

  it('refuses the call past the step budget (step_limit)', async () => {
    const rt = runtime();
    const result = await engine.execute(request('repeat 1000 count {"text":"a"}', rt.tools, { maxSteps: 7 }));
    expect(result).toMatchObject({ status: 'step_limit', steps: 7 });
    expect(result.error!.code).toBe('step_limit');
    expect(rt.calls).toHaveLength(7);
    // A parallel call that would cross the budget is refused whole.
    const wide = runtime();
    const refused = await engine.execute(request('call count {}\nparallel count {} ;; count {} ;; count {}', wide.tools, { maxSteps: 3 }));
    expect(refused.status).toBe('step_limit');
    expect(wide.calls).toHaveLength(1);
  });

  it('reports traps, script errors and unusable components as errors', async () => {
    const trap = await engine.execute(request('trap', runtime().tools));
    expect(trap.status).toBe('error');
    expect(trap.error!.code).toBe('trap');
    const failed = await engine.execute(request('fail nothing to do', runtime().tools));
    expect(failed.status).toBe('error');
    expect(failed.error!.code).toBe('script_error');
    expect(failed.error!.message).not.toContain('nothing to do'); // the script's words are a payload
    const garbage = await engine.execute({ ...request('', runtime().tools), script: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) });
    expect(garbage.status).toBe('error');
    expect(garbage.error!.code).toBe('invalid_script');
  });

  it('runs executions side by side', async () => {
    const rts = [runtime(), runtime(), runtime()];
    const results = await Promise.all(rts.map((rt, i) => engine.execute(request(`call count {"text":"${'w '.repeat(i + 1)}"}`, rt.tools))));
    expect(results.map((r) => r.output)).toEqual(['ok 1\n', 'ok 2\n', 'ok 3\n']);
  });
});

afterAll(() => undefined);
