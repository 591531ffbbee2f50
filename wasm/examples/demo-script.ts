// A script for a tool runtime (world demo-script): it calls the runtime's
// tools through the host's omnimeter:script/tools import, one by one or in
// parallel. Its input is a small program, one command per line:
//
//   call NAME ARGS                     call a tool (ARGS: JSON text)
//   parallel NAME ARGS ;; NAME ARGS    call several at once, one branch each
//   repeat N NAME ARGS                 call a tool N times in a row
//   spin                               loop forever (the host's time budget stops it)
//   trap                               trap (unreachable)
//   fail MESSAGE                       return an error
//
// The output has one line per tool result: "ok TEXT" or "error TEXT".
// The canonical ABI is written by hand (UTF-16 strings, as AssemblyScript
// stores them).

@external("omnimeter:script/tools@0.1.0", "call")
declare function hostCall(namePtr: usize, nameLen: i32, argsPtr: usize, argsLen: i32, ret: usize): void;

@external("omnimeter:script/tools@0.1.0", "call-parallel")
declare function hostCallParallel(listPtr: usize, listLen: i32, ret: usize): void;

/** Where the host writes an import's result (a result<string, string>, or a list's pointer and length). */
const RET = memory.data(16, 8);
/** Where run's result<string, string> is returned. */
const OUT = memory.data(12, 8);
/** The last output stays referenced until the host has read it. */
let lastOutput: string = "";
/** Keeps spin's loop from being optimized away. */
let spins: u64 = 0;

class Outcome {
  constructor(public ok: bool, public text: string) {}
}

/** A string the host lowered with cabi_realloc: decoded, then its block freed. */
function takeString(ptr: usize, len: i32): string {
  const text = String.UTF16.decodeUnsafe(ptr, <usize>len << 1);
  if (ptr != 0) heap.free(ptr);
  return text;
}

/** A result<string, string> laid out at `at`: discriminant byte, then pointer and length. */
function readOutcome(at: usize): Outcome {
  return new Outcome(load<u8>(at) == 0, takeString(<usize>load<u32>(at, 4), load<i32>(at, 8)));
}

function call(name: string, args: string): Outcome {
  hostCall(changetype<usize>(name), name.length, changetype<usize>(args), args.length, RET);
  return readOutcome(RET);
}

function parallel(names: string[], args: string[]): Outcome[] {
  const n = names.length;
  const list = heap.alloc(<usize>n * 16);
  for (let i = 0; i < n; i++) {
    const at = list + <usize>i * 16;
    store<u32>(at, <u32>changetype<usize>(names[i]));
    store<i32>(at, names[i].length, 4);
    store<u32>(at, <u32>changetype<usize>(args[i]), 8);
    store<i32>(at, args[i].length, 12);
  }
  hostCallParallel(list, n, RET);
  heap.free(list);
  const results = <usize>load<u32>(RET);
  const count = load<i32>(RET, 4);
  const outcomes = new Array<Outcome>();
  for (let i = 0; i < count; i++) outcomes.push(readOutcome(results + <usize>i * 12));
  if (results != 0) heap.free(results);
  return outcomes;
}

function finish(ok: bool, text: string): usize {
  lastOutput = text;
  store<u8>(OUT, ok ? 0 : 1);
  store<u32>(OUT, <u32>changetype<usize>(text), 4);
  store<i32>(OUT, text.length, 8);
  return OUT;
}

function report(outcome: Outcome): string {
  return (outcome.ok ? "ok " : "error ") + outcome.text + "\n";
}

/** "NAME ARGS" → [NAME, ARGS]. */
function split(rest: string): string[] {
  const space = rest.indexOf(" ");
  return space < 0 ? [rest, "{}"] : [rest.substring(0, space), rest.substring(space + 1)];
}

export function run(ptr: usize, len: i32): usize {
  const input = takeString(ptr, len);
  const lines = input.split("\n");
  let output = "";
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line.length == 0) continue;
    const space = line.indexOf(" ");
    const command = space < 0 ? line : line.substring(0, space);
    const rest = space < 0 ? "" : line.substring(space + 1);
    if (command == "call") {
      const parts = split(rest);
      output += report(call(parts[0], parts[1]));
    } else if (command == "parallel") {
      const branches = rest.split(" ;; ");
      const names = new Array<string>();
      const args = new Array<string>();
      for (let b = 0; b < branches.length; b++) {
        const parts = split(branches[b]);
        names.push(parts[0]);
        args.push(parts[1]);
      }
      const outcomes = parallel(names, args);
      for (let i = 0; i < outcomes.length; i++) output += report(outcomes[i]);
    } else if (command == "repeat") {
      const parts = split(rest);
      const times = I32.parseInt(parts[0]);
      const call_ = split(parts[1]);
      for (let i = 0; i < times; i++) output = report(call(call_[0], call_[1]));
    } else if (command == "spin") {
      while (spins != U64.MAX_VALUE) spins++;
    } else if (command == "trap") {
      unreachable();
    } else if (command == "fail") {
      return finish(false, rest);
    } else {
      return finish(false, "unknown command: " + command);
    }
  }
  return finish(true, output);
}

/** Canonical ABI allocator: the host lowers strings and lists into guest memory with it. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  return old == 0 ? heap.alloc(newSize) : heap.realloc(old, newSize);
}

export function abort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
