import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledComponent } from '../../src/component/index.js';
import { BudgetExceeded, ComponentHost, type HostOptions, readComponent, readComponentAsync } from '../../src/host/index.js';
import { createMetrics } from '../../src/index.js';
import { componentDir } from '../support/components.js';
import { find } from '../support/read.js';

const MiB = 1 << 20;
let metered: CompiledComponent;

beforeAll(async () => {
  // Metered, with each linear memory capped at 16 MiB.
  metered = await readComponentAsync(await componentDir('hostile'), { meter: true, maxMemoryBytes: 16 * MiB });
}, 60_000);

function setup(options: Partial<HostOptions> = {}) {
  const metrics = createMetrics();
  const host = new ComponentHost({ metrics, recovery: false, ...options });
  return { metrics, host, hostile: host.load(metered) };
}

const invocations = async (metrics: ReturnType<typeof createMetrics>, status: string) =>
  (await find(metrics, 'omnimeter_wasm_invocations', { component: 'hostile', status }))?.value ?? 0;

describe('runaway guests are stopped', () => {
  it('a guest whose stack overflows traps (V8 says RangeError; the instance is stopped like any trap)', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, recovery: false });
    const cpu = host.load(readComponent(await componentDir('cpu-tool'))).instantiate('deep');
    // Naive fib recurses n deep before it adds anything: far past any stack.
    expect(() => cpu.call('fib', 10_000_000, 1)).toThrow(RangeError);
    expect(cpu.healthState()).toMatchObject({ state: 'stopped', lastStatus: 'trap' });
    expect((await find(metrics, 'omnimeter_wasm_invocations', { component: 'cpu-tool', status: 'trap' }))?.value).toBe(1);
    expect(await find(metrics, 'omnimeter_wasm_invocations', { component: 'cpu-tool', status: 'error' })).toBeUndefined();
    host.close();
  });

  it('stops a guest that loops forever at its time budget, counts "timeout" and keeps serving others', async () => {
    const { metrics, host, hostile } = setup({ invocationBudgetMs: 150 });
    const runaway = hostile.instantiate('runaway');
    const other = hostile.instantiate('other');
    const started = performance.now();
    expect(() => runaway.call('loop-forever')).toThrow(BudgetExceeded);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(5_000); // stopped, not left to run
    expect(await invocations(metrics, 'timeout')).toBe(1);
    expect(runaway.healthy).toBe(false);
    expect(runaway.healthState()).toMatchObject({ state: 'stopped', lastStatus: 'timeout' });
    expect(() => runaway.call('allocate', 1)).toThrow(/unhealthy \(timeout: stopped after 150 ms/);
    expect(other.call('allocate', 1)).toBe(1);
    expect(await invocations(metrics, 'success')).toBe(1);
    const seconds = await find(metrics, 'omnimeter_wasm_invocation_seconds', { export: 'loop-forever' });
    expect(seconds?.count).toBe(1);
    expect(seconds?.sum).toBeGreaterThanOrEqual(0.15);
    expect((await find(metrics, 'omnimeter_wasm_instantiate_seconds', { component: 'hostile' }))?.count).toBe(2);
    expect((await find(metrics, 'omnimeter_wasm_instance_healthy', { component_instance: 'runaway' }))?.value).toBe(0);
    host.close();
  });

  it('stops a guest at its step budget with "step_limit"; a guest within it succeeds', async () => {
    const { metrics, hostile } = setup({ stepBudget: 1_000_000 });
    const one = hostile.instantiate();
    expect(() => one.call('loop-forever')).toThrow(/stopped after 1000000 steps/);
    expect(await invocations(metrics, 'step_limit')).toBe(1);
    expect(one.healthState().lastStatus).toBe('step_limit');
    const two = hostile.instantiate();
    expect(two.call('allocate', 2)).toBe(2);
    expect(await invocations(metrics, 'success')).toBe(1);
  });

  it('holds the memory limit: a guest allocating past it traps, its memory stays under the cap', async () => {
    const { metrics, hostile } = setup();
    const hoarder = hostile.instantiate('hoarder');
    expect(hoarder.call('allocate', 4)).toBe(4);
    expect(() => hoarder.call('allocate', 64)).toThrow(WebAssembly.RuntimeError);
    expect(await invocations(metrics, 'trap')).toBe(1);
    const peak = (await find(metrics, 'omnimeter_wasm_memory_peak_bytes', { component_instance: 'hoarder' }))?.value ?? 0;
    expect(peak).toBeGreaterThan(4 * MiB);
    expect(peak).toBeLessThanOrEqual(16 * MiB);
    expect((await find(metrics, 'omnimeter_wasm_memory_growths', { component_instance: 'hoarder' }))?.value).toBeGreaterThan(0);
  });

  it('counts "error" for a failure outside the guest (arguments the glue cannot lower); the instance stays healthy', async () => {
    const { metrics, hostile } = setup();
    const one = hostile.instantiate();
    expect(() => one.call('allocate', Symbol('not a number'))).toThrow(TypeError);
    expect(await invocations(metrics, 'error')).toBe(1);
    expect(one.healthy).toBe(true);
    expect(one.call('allocate', 1)).toBe(1);
  });

  it('labels an unmetered guest over its budget "timeout" after it returns (it cannot be stopped)', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, invocationBudgetMs: 0 });
    const plain = host.load(readComponent(await componentDir('hostile'))).instantiate();
    expect(plain.call('allocate', 8)).toBe(8);
    expect(await invocations(metrics, 'timeout')).toBe(1);
    expect(plain.healthy).toBe(true);
  });
});

describe('recovery', () => {
  it('re-instantiates a stopped instance after its backoff; attempts and successes are counted', async () => {
    const { metrics, host, hostile } = setup({ stepBudget: 100_000, recovery: { initialDelayMs: 20 } });
    const one = hostile.instantiate('one');
    const before = Date.now();
    expect(() => one.call('loop-forever')).toThrow(BudgetExceeded);
    const stopped = one.healthState(); // synchronous: the backoff timer cannot have run yet
    expect(stopped.state).toBe('stopped');
    expect(stopped.retryAt).toBeGreaterThanOrEqual(before + 20);
    await expect.poll(() => one.healthState(), { timeout: 5_000 }).toMatchObject({ state: 'healthy' });
    expect(one.healthState().recoveries).toEqual({ attempts: 1, successes: 1 });
    expect(one.call('allocate', 1)).toBe(1); // a fresh incarnation: its hoard starts empty
    expect((await find(metrics, 'omnimeter_wasm_recovery_attempts', { component: 'hostile' }))?.value).toBe(1);
    expect((await find(metrics, 'omnimeter_wasm_recoveries', { component: 'hostile' }))?.value).toBe(1);
    expect((await find(metrics, 'omnimeter_wasm_instance_healthy', { component_instance: 'one' }))?.value).toBe(1);
    expect((await find(metrics, 'omnimeter_wasm_instantiate_seconds', { component: 'hostile' }))?.count).toBe(2);
    host.close();
  });

  it('with recovery off, stays stopped until reinstantiate(); close() ends it', async () => {
    const { host, hostile } = setup();
    const one = hostile.instantiate();
    expect(() => one.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    expect(one.healthState()).toMatchObject({ state: 'stopped', lastStatus: 'trap', retryAt: undefined });
    const health = await one.reinstantiate();
    expect(health).toMatchObject({ state: 'healthy', recoveries: { attempts: 1, successes: 1 } });
    expect(one.call('misbehave', 0)).toBe(0);
    expect(host.instances()).toEqual([one]);
    host.close();
    expect(one.healthState().state).toBe('closed');
    expect(host.instances()).toEqual([]);
    expect(() => one.call('misbehave', 0)).toThrow(/unhealthy/);
  });
});
