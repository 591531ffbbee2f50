/** The guards a loader applies to a core module's bytes before compiling it. */
import type { GuardOptions } from './index.js';
import { limitMemory } from './memory-limit.js';
import { meterModule } from './meter.js';

/** Synchronous guards only (the memory cap); metering needs guardCore. */
export function limitCore(bytes: Uint8Array<ArrayBuffer>, options: GuardOptions): Uint8Array<ArrayBuffer> {
  if (options.meter) throw new Error('metering is asynchronous: load with readComponentAsync (Node) or fetchComponent (pages)');
  return options.maxMemoryBytes === undefined ? bytes : limitMemory(bytes, options.maxMemoryBytes);
}

export async function guardCore(bytes: Uint8Array<ArrayBuffer>, options: GuardOptions): Promise<Uint8Array<ArrayBuffer>> {
  const limited = limitCore(bytes, { ...options, meter: false });
  return options.meter ? meterModule(limited, options.binaryen) : limited;
}
