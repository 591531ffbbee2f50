import { Counter, Histogram, flush } from "../sdk/metrics";

@external("wasi:clocks/monotonic-clock@0.2.0", "now")
declare function monotonicNow(): u64;

const iterations = new Counter("wasi_tool_iterations_total", "Rounds of work() done.");
const elapsed = new Histogram("wasi_tool_work_seconds", "Duration of work(), by the WASI monotonic clock.", [0.000001, 0.00001, 0.0001, 0.001, 0.01], [], "seconds");

let state: u64 = 1;

export function work(rounds: u32): u64 {
  const started = monotonicNow();
  for (let i: u32 = 0; i < rounds; i++) state = state * 6364136223846793005 + 1442695040888963407;
  const took = monotonicNow() - started;
  iterations.inc(<f64>rounds);
  elapsed.observe(<f64>took / 1e9);
  flush();
  return took;
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
