/**
 * Metering: a core module rewritten so that it counts its own steps (one at
 * every function entry and loop header) in a global, and calls the host's
 * `refill` import each time the global runs out. The host answers with the
 * next allowance, or throws to stop the guest: a JavaScript exception thrown
 * from an import unwinds the WebAssembly stack, so a guest that loops forever
 * is stopped synchronously, in the same thread, in Node and in pages alike.
 *
 * Uses binaryen (an optional peer dependency, loaded only when metering is
 * asked for): its `log-execution` pass places a call at exactly those
 * points; the logging import is then replaced by the counter.
 */

/** The import module and name a metered module calls: `() -> i32`, the next allowance. */
export const METER_MODULE = 'omnimeter:meter';
export const METER_REFILL = 'refill';
/** The exported fuel global: the host zeroes it at each invocation so budgets start exact. */
export const METER_FUEL = 'omnimeter:fuel';

type Binaryen = typeof import('binaryen').default;
/** How to load binaryen: pages pass `() => import('binaryen')` so their bundler sees it. */
export type BinaryenLoader = () => Promise<{ default: Binaryen }>;

// A specifier bundlers do not follow: binaryen's Node build must not be pulled into page bundles.
const packageName = 'binaryen';
const importBinaryen: BinaryenLoader = () => import(/* @vite-ignore */ packageName);

let binaryen: Promise<Binaryen> | undefined;

function loadBinaryen(load: BinaryenLoader = importBinaryen): Promise<Binaryen> {
  binaryen ??= load().then(
    (m) => m.default,
    (error: unknown) => {
      binaryen = undefined;
      throw new Error('metering a component needs the "binaryen" package: npm install binaryen', { cause: error });
    },
  );
  return binaryen;
}

/** The bytes of `module` with a step counter; a module that already imports the meter is returned as is. */
export async function meterModule(module: Uint8Array<ArrayBuffer>, load?: BinaryenLoader): Promise<Uint8Array<ArrayBuffer>> {
  if (WebAssembly.Module.imports(new WebAssembly.Module(module)).some((i) => i.module === METER_MODULE)) return module;
  const b = await loadBinaryen(load);
  const m = b.readBinary(module);
  try {
    m.setFeatures(b.Features.All);
    m.runPasses(['log-execution']);
    const log = findLogImport(b, m);
    if (log === undefined) return module; // no function bodies: nothing runs here
    m.removeFunction(log);
    const refill = 'omnimeter$refill';
    const fuel = 'omnimeter$fuel';
    m.addFunctionImport(refill, METER_MODULE, METER_REFILL, b.none, b.i32);
    m.addGlobal(fuel, b.i32, true, m.i32.const(0));
    m.addGlobalExport(fuel, METER_FUEL);
    // (param $site i32): fuel -= 1; if fuel < 0 then fuel = refill() - 1
    const left = () => m.i32.sub(m.global.get(fuel, b.i32), m.i32.const(1));
    m.addFunction(
      log,
      b.createType([b.i32]),
      b.none,
      [],
      m.block(null, [
        m.global.set(fuel, left()),
        m.if(
          m.i32.lt_s(m.global.get(fuel, b.i32), m.i32.const(0)),
          m.global.set(fuel, m.i32.sub(m.call(refill, [], b.i32), m.i32.const(1))),
        ),
      ]),
    );
    if (!m.validate()) throw new Error('metered module does not validate');
    return new Uint8Array(m.emitBinary());
  } finally {
    m.dispose();
  }
}

function findLogImport(b: Binaryen, m: InstanceType<Binaryen['Module']>): string | undefined {
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(m.getFunctionByIndex(i));
    // The pass imports from the module's first import module (or "env"): match by name.
    if (info.module && info.base === 'log_execution') return info.name;
  }
  return undefined;
}
