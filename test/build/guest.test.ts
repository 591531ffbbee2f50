import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAssemblyScriptGuest } from '../../src/build/guest.js';
import { runComponent } from '../../src/cli/run.js';

const WIT = `package test:adder;

world adder {
  export add-twice: func(a: u32, b: u32) -> u32;
}
`;

const source = (k: number) => `
export function add_twice(a: u32, b: u32): u32 {
  return a + b * ${k};
}
export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
`;

describe('building an AssemblyScript guest (omnimeter build-guest)', () => {
  it('makes a component with kebab-case exports, rebuilds only when a source changes, and the host runs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-guest-'));
    writeFileSync(join(dir, 'adder.wit'), WIT);
    writeFileSync(join(dir, 'adder.ts'), source(2));
    const outDir = join(dir, 'build');
    const starts: string[] = [];
    const guest = { source: join(dir, 'adder.ts'), wit: join(dir, 'adder.wit'), outDir, onStart: () => starts.push('start') };

    const first = await buildAssemblyScriptGuest(guest);
    expect(first).toMatchObject({ name: 'adder', built: true, dir: join(outDir, 'adder') });
    expect(readFileSync(join(outDir, 'adder', 'adder.wit'), 'utf8')).toContain('export add-twice: func(a: u32, b: u32) -> u32;');
    const core = readdirSync(first.js).find((f) => f.endsWith('.core.wasm'))!;
    const module = new WebAssembly.Module(readFileSync(join(first.js, core)));
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exports).toContain('add-twice');
    expect(exports).not.toContain('add_twice');
    expect(exports).not.toContain('abort');
    expect(WebAssembly.Module.imports(module)).toEqual([]); // no env.abort: abort is a trap

    const again = await buildAssemblyScriptGuest(guest);
    expect(again.built).toBe(false);
    expect(starts).toEqual(['start']);

    writeFileSync(join(dir, 'adder.ts'), source(3));
    expect((await buildAssemblyScriptGuest(guest)).built).toBe(true);
    const running = await runComponent({
      component: join(outDir, 'adder'),
      invoke: 'add-twice',
      args: ['1', '2'],
      config: { enabled: true, exporters: [] },
    });
    expect(running.results).toEqual([7]);
    await running.stop();
  }, 180_000);

  it('reports compile errors with the compiler’s diagnostics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-guest-'));
    writeFileSync(join(dir, 'broken.wit'), WIT.replace('adder', 'broken'));
    writeFileSync(join(dir, 'broken.ts'), 'export function add_twice(a: u32): u32 { return a + missing; }\n');
    await expect(
      buildAssemblyScriptGuest({ source: join(dir, 'broken.ts'), wit: join(dir, 'broken.wit'), outDir: join(dir, 'out') }),
    ).rejects.toThrow(/broken\.ts: AssemblyScript compilation failed\n[\s\S]*missing/);
  }, 180_000);
});
