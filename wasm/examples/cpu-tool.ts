import { Counter, Histogram, Timer, flush } from "../sdk/metrics";

const calls = new Counter("cpu_tool_calls_total", "Calls of the cpu-tool exports.", ["export"]);
const fibCalls = calls.labels(["fib"]);
const spinCalls = calls.labels(["spin"]);
const fanCalls = calls.labels(["fan-out"]);
const spins = new Counter("cpu_tool_spins_total", "Increments made by spin().");
const fanned = new Counter("cpu_tool_fanned_total", "Increments made by fan-out().", ["shard"]);
const inputs = new Histogram("cpu_tool_fib_input", "The n passed to fib().", [5, 10, 20, 30]);
const duration = new Timer("cpu_tool_fib_seconds", "Time spent in fib().");

function slowFib(n: u32): u64 {
  return n < 2 ? <u64>n : slowFib(n - 1) + slowFib(n - 2);
}

export function fib(n: u32, rounds: u32): u64 {
  const started = duration.start();
  let result: u64 = 0;
  for (let i: u32 = 0; i < rounds; i++) result = slowFib(n);
  inputs.observe(<f64>n);
  duration.stop(started);
  fibCalls.inc();
  flush();
  return result;
}

export function spin(count: u32): u32 {
  const hot = spins.labels([]);
  for (let i: u32 = 0; i < count; i++) hot.inc();
  spinCalls.inc();
  flush();
  return count;
}

const shards: string[] = [];
export function fan_out(series: u32): u32 {
  while (<u32>shards.length < series) shards.push(shards.length.toString());
  for (let i: u32 = 0; i < series; i++) fanned.labels([unchecked(shards[i])]).inc();
  fanCalls.inc();
  flush();
  return series;
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
