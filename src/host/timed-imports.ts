/**
 * One wrapper for every function a guest imports from the host: omnimeter's
 * recorder and WASI alike are counted and timed per interface and function.
 * The wrapper is made once per instance and function, so a call costs two
 * clock reads, a counter increment and a histogram observation.
 */

/** Called after each call with the function's index (the caller's numbering) and its duration in seconds. */
export type CallObserver = (index: number, seconds: number) => void;

/** Wraps `fn` so that each call is reported to `observe` (exceptions too: they pass through). */
export function timed<F extends (...args: never[]) => unknown>(fn: F, index: number, observe: CallObserver): F {
  return ((...args: never[]) => {
    const start = performance.now();
    try {
      return fn(...args);
    } finally {
      observe(index, (performance.now() - start) / 1000);
    }
  }) as F;
}

/** Plain functions are timed; classes (WASI resources) are handed over untouched, since the glue checks `instanceof` against them. */
const isPlainFunction = (value: unknown): value is (...args: never[]) => unknown =>
  typeof value === 'function' && !/^class[\s{]/.test(Function.prototype.toString.call(value));

/** jco's import names are camelCase; metrics use the WIT's kebab-case. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The `imports` object with the plain functions of each `wasi:` interface
 * timed. `observe` receives the interface (without its version) and the
 * function's WIT name. Resource methods (streams, descriptors) are not timed:
 * they live on prototypes shared by every user of the shim.
 */
export function timeWasi(
  imports: Readonly<Record<string, unknown>>,
  observe: (iface: string, fn: string, seconds: number) => void,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, iface] of Object.entries(imports)) {
    if (!key.startsWith('wasi:') || typeof iface !== 'object' || iface === null) {
      out[key] = iface;
      continue;
    }
    const name = key.replace(/@.*$/, '');
    const wrapped: Record<string, unknown> = {};
    const fns: string[] = [];
    for (const [prop, value] of Object.entries(iface)) {
      if (!isPlainFunction(value)) {
        wrapped[prop] = value;
        continue;
      }
      fns.push(kebab(prop));
      wrapped[prop] = timed(value.bind(iface), fns.length - 1, (i, s) => observe(name, fns[i]!, s));
    }
    out[key] = wrapped;
  }
  return out;
}
