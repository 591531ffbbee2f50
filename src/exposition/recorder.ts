import type { FamilyDescriptor } from '../api/backend.js';
import type { GuestDescriptor } from '../api/recorder.js';

/** A family as the recorder protocol describes it; counters are named with `_total` unless `name` says otherwise. */
export function wireDescriptor(
  family: FamilyDescriptor,
  name = family.type === 'counter' ? `${family.name}_total` : family.name,
): GuestDescriptor {
  return {
    name,
    help: family.help,
    unit: family.unit,
    kind: family.type,
    labelNames: [...family.labelNames],
    buckets: Float64Array.from(family.buckets ?? []),
    quantiles: Float64Array.from(family.quantiles ?? []),
    maxAgeSeconds: family.maxAgeSeconds ?? 0,
    ageBuckets: family.ageBuckets ?? 0,
  };
}
