/**
 * `omnimeter/host` in a page: the same host aggregator and engine backend,
 * with components fetched instead of read from disk. No Node module.
 */
import { enableMergePort } from '../core/merge/enable.js';

// Guests reach the core through the merge port, which `omnimeter/browser` leaves out: installed here (core/features.ts).
enableMergePort();

export {
  ComponentHost,
  type HostOptions,
  type LoadedComponent,
  type ComponentInstance,
  type LogRecord,
  type InvocationStatus,
  type InstanceHealth,
  type InstanceState,
  type RecoveryOptions,
} from './component-host.js';
export { BudgetExceeded } from './budget.js';
export { GuestSession, DEFAULT_LIMITS, type ComponentSettings, type GuestLimits, type RejectReason } from './guest-session.js';
export type { GuestDescriptor, GuestUpdate, Op, Recorder } from '../api/recorder.js';
export { preinstantiate, type CompiledComponent, type ComponentGlue, type GuardOptions, type InstantiateCore } from '../component/index.js';
export { fetchComponent, type FetchComponentOptions } from './load-browser.js';
export { engineBackend, engineBackendAsync } from '../backends/wasm-component/index.js';
