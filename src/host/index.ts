/** `omnimeter/host`: runs WebAssembly components and aggregates their metrics (Node). */
export { ComponentHost, type HostOptions, type LoadedComponent, type ComponentInstance, type LogRecord, type InvocationStatus } from './component-host.js';
export { GuestSession, DEFAULT_LIMITS, type ComponentSettings, type GuestLimits, type RejectReason } from './guest-session.js';
export type { GuestDescriptor, GuestUpdate, Op, Recorder } from '../api/recorder.js';
export { transpileCached } from './transpile.js';
export { wasmComponentBackend, type EngineBackendOptions } from './engine-backend.js';
