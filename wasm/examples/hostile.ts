// Misbehaves on purpose, through the raw recorder ABI, so the host's guards can be tested.
import { Counter, Gauge, Histogram, flush } from "../sdk/metrics";

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
  } else if (mode == 5) {
    // Claims the SDK's own namespace, which no guest may write.
    new Counter("omnimeter_secret_total", "not the guest's to write").inc();
  } else if (mode == 6) {
    // A histogram with bounds [1, 2] (buckets 0, 1 and +Inf = 2) sent a count for bucket 3.
    const h = new Histogram("past_inf", "bucket past +Inf", [1, 2]);
    const s = h.labels([]);
    const id = s.hostId();
    const buf = heap.alloc(24);
    store<u32>(buf, id);
    store<u8>(buf, 3, 4); // bucket
    store<u32>(buf, 3, 8);
    store<f64>(buf, 7, 16);
    applyBatch(buf, 1);
    heap.free(buf);
  }
  flush();
  return mode;
}

let spins: u64 = 0;

/** Never returns: a runaway guest the host must stop. */
export function loop_forever(): u64 {
  while (true) {
    spins++;
    if (spins == 0) break; // after 2^64 rounds: in practice never
  }
  return spins;
}

const hoard: usize[] = [];

/** Allocates `mebibytes` MiB, one at a time, keeping every block: up to the memory limit, where it traps. */
export function allocate(mebibytes: u32): u32 {
  for (let i: u32 = 0; i < mebibytes; i++) {
    const block = heap.alloc(1 << 20);
    store<u8>(block, 1); // touch it
    hoard.push(block);
  }
  return <u32>hoard.length;
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
