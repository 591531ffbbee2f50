import type { FamilyDescriptor } from '../api/backend.js';
import type { GuestDescriptor } from '../api/recorder.js';

/**
 * A family as the recorder protocol describes it. The family's own name is
 * a valid name for every kind (the contract lets a counter end in `_total`
 * or not), so nothing is added or stripped.
 */
export function wireDescriptor(family: FamilyDescriptor): GuestDescriptor {
  return {
    name: family.name,
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
