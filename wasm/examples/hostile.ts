// Misbehaves on purpose, through the raw recorder ABI, so the host's guards can be tested.
import { Counter, Gauge, flush } from "../sdk/metrics";

@external("omnimeter:metrics/recorder@0.1.0", "apply-batch")
declare function applyBatch(ptr: usize, len: i32): void;

export function misbehave(mode: u32): u32 {
  if (mode == 0) {
    new Counter("bad-name!", "not a metric name").inc();
    new Counter("ok_total", "bad label", ["__reserved"]).labels(["x"]).inc();
    new Gauge("le_gauge", "fine").labels([]).set(1);
  } else if (mode == 1) {
    const flood = new Counter("flood_total", "one series per call", ["id"]);
    for (let i = 0; i < 5000; i++) flood.labels([i.toString()]).inc();
  } else if (mode == 2) {
    // 1,000 updates naming series that do not exist, with ops out of range.
    const buf = heap.alloc(24 * 1000);
    for (let i = 0; i < 1000; i++) {
      store<u32>(buf + <usize>i * 24, 0xdead0000 + <u32>i);
      store<u8>(buf + <usize>i * 24, <u8>(i % 6), 4);
      store<f64>(buf + <usize>i * 24, NaN, 16);
    }
    applyBatch(buf, 1000);
  } else if (mode == 3) {
    unreachable();
  } else if (mode == 4) {
    const c = new Counter("negative_total", "negative increments");
    const s = c.labels([]);
    s.pending = -5; // bypass the SDK's check, as a buggy guest might
    s.touch();
  }
  flush();
  return mode;
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
