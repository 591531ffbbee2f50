/** instance.call() runs the component's own exports only (issue 10). */
import { describe, expect, it } from 'vitest';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { createMetrics } from '../../src/index.js';
import { componentDir } from '../support/components.js';

describe('ComponentInstance.call', () => {
  it("refuses Object.prototype's methods: toString, constructor, valueOf are not exports", async () => {
    const metrics = createMetrics();
    const cpu = new ComponentHost({ metrics }).load(readComponent(await componentDir('cpu-tool'))).instantiate('c');
    for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__'])
      expect(() => cpu.call(name), name).toThrowError(`cpu-tool has no export "${name}"`);
    expect(() => cpu.call(5 as never)).toThrowError(/has no export/);
    expect(cpu.call('fib', 10, 1)).toBe(55n);
    const invocations = (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_wasm_invocations')!;
    expect(invocations.series.map((s) => Object.fromEntries(s.labels).export)).toEqual(['fib']);
  });
});
