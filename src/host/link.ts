/**
 * Links one incarnation of a component: the glue instantiates its core
 * modules against the recorder, the other imports (WASI) and, for metered
 * modules, the budget's refill; what the modules export that the host
 * watches (memories, fuel counters) is collected on the way.
 */
import { type CompiledComponent, type InstantiateCore, coreModules } from '../component/index.js';
import { METER_FUEL, METER_MODULE, METER_REFILL } from '../component/meter.js';

export interface Linked {
  readonly exports: Record<string, unknown>;
  readonly memories: readonly WebAssembly.Memory[];
  /** The metered modules' step counters, zeroed at each invocation. */
  readonly fuels: readonly WebAssembly.Global[];
}

export interface LinkRequest {
  readonly compiled: CompiledComponent;
  readonly recorder: Record<string, unknown>;
  readonly imports: Readonly<Record<string, unknown>>;
  readonly refill: () => number;
  readonly instantiateCore?: InstantiateCore;
}

const defaultInstantiate: InstantiateCore = (core, imports) => new WebAssembly.Instance(core, imports);

export function link({ compiled, recorder, imports, refill, instantiateCore = defaultInstantiate }: LinkRequest): Linked {
  const memories: WebAssembly.Memory[] = [];
  const fuels: WebAssembly.Global[] = [];
  const meter = { [METER_REFILL]: refill };
  try {
    const exports = compiled.glue.instantiate(
      coreModules(compiled),
      // jco names the import with and without the version depending on the release: give both.
      { ...imports, 'omnimeter:metrics/recorder': recorder, 'omnimeter:metrics/recorder@0.1.0': recorder },
      (core, coreImports) => {
        const inst = instantiateCore(core, { ...coreImports, [METER_MODULE]: meter });
        for (const [name, value] of Object.entries(inst.exports)) {
          if (value instanceof WebAssembly.Memory) memories.push(value);
          else if (name === METER_FUEL && value instanceof WebAssembly.Global) fuels.push(value);
        }
        return inst;
      },
    );
    return { exports, memories, fuels };
  } catch (error) {
    // jco's glue destructures each imported interface: a missing one surfaces as a TypeError here.
    const missing =
      error instanceof TypeError
        ? " Does it import an interface the host was not given? Pass it in HostOptions.imports (WASI: preview2-shim's WASIShim)."
        : '';
    throw new Error(`${compiled.name}: cannot instantiate: ${(error as Error).message}.${missing}`, { cause: error });
  }
}
