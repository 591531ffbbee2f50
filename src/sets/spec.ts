/**
 * The metric sets as data: every name, kind, unit, attribute set and meaning
 * in one table, read by the helpers that record them (instruments.ts) and by
 * the documentation test that checks docs/metric-sets.md against it.
 *
 * Names are OpenTelemetry-style (dotted, UCUM units); Prometheus sees them
 * through the same translation as every other name (src/exposition/
 * prometheus-names.ts): `cache.requests` with unit `{request}` is exposed as
 * `cache_requests_total`, `storage.operation.duration` in `s` as
 * `storage_operation_duration_seconds`.
 */

export type SetKind = 'counter' | 'gauge' | 'histogram';

export interface SetMetric {
  readonly name: string;
  readonly kind: SetKind;
  /** UCUM: `s`, `By`, `1`, or an annotation such as `{request}`. */
  readonly unit: string;
  readonly attributes: readonly string[];
  readonly help: string;
  readonly buckets?: readonly number[];
}

/** Latencies from 0.1 ms to 10 s. */
export const DURATION_BUCKETS = Object.freeze([0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
/** Message and payload sizes from 64 B to 16 MiB. */
export const SIZE_BUCKETS = Object.freeze([64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]);

const m = (
  name: string,
  kind: SetKind,
  unit: string,
  attributes: readonly string[],
  help: string,
  buckets?: readonly number[],
): SetMetric => Object.freeze({ name, kind, unit, attributes: Object.freeze([...attributes]), help, ...(buckets ? { buckets } : {}) });

export const TRANSPORT_SET = Object.freeze({
  requests: m('transport.requests', 'counter', '{request}', ['transport.name'], 'Requests received, by transport.'),
  responses: m(
    'transport.responses',
    'counter',
    '{response}',
    ['transport.name', 'outcome'],
    'Responses sent, by transport and outcome (success, error).',
  ),
  requestDuration: m(
    'transport.request.duration',
    'histogram',
    's',
    ['transport.name', 'outcome'],
    'Time from a request received to its response sent.',
    DURATION_BUCKETS,
  ),
  connectionSetup: m(
    'transport.connection.setup.duration',
    'histogram',
    's',
    ['transport.name'],
    'Connection establishment time (a client socket: created to connected, TLS handshake included).',
    DURATION_BUCKETS,
  ),
  connectionTeardown: m(
    'transport.connection.teardown.duration',
    'histogram',
    's',
    ['transport.name'],
    'Connection teardown time (close requested, or peer ended, to closed).',
    DURATION_BUCKETS,
  ),
  connectionsActive: m('transport.connections.active', 'gauge', '{connection}', ['transport.name'], 'Open connections.'),
  messageSize: m(
    'transport.message.size',
    'histogram',
    'By',
    ['transport.name', 'network.io.direction'],
    'Message sizes by direction (receive, transmit).',
    SIZE_BUCKETS,
  ),
  io: m(
    'transport.io',
    'counter',
    'By',
    ['transport.name', 'network.io.direction'],
    'Bytes moved by direction: the throughput is its rate.',
  ),
  errors: m(
    'transport.errors',
    'counter',
    '{error}',
    ['transport.name', 'error.type'],
    'Transport errors by kind (ECONNRESET, timeout, parse, ...).',
  ),
});

export const STORAGE_SET = Object.freeze({
  operations: m(
    'storage.operations',
    'counter',
    '{operation}',
    ['storage.backend', 'storage.operation', 'outcome'],
    'Operations (read, write, delete) by backend and outcome.',
  ),
  operationDuration: m(
    'storage.operation.duration',
    'histogram',
    's',
    ['storage.backend', 'storage.operation', 'outcome'],
    'Operation latency by backend, operation and outcome.',
    DURATION_BUCKETS,
  ),
  used: m('storage.used', 'gauge', 'By', ['storage.backend'], 'Bytes stored.'),
  capacity: m('storage.capacity', 'gauge', 'By', ['storage.backend'], 'Bytes the backend can hold.'),
  utilization: m('storage.utilization', 'gauge', '1', ['storage.backend'], 'Used over capacity, 0 to 1.'),
  integrityChecks: m(
    'storage.integrity.checks',
    'counter',
    '{check}',
    ['storage.backend', 'outcome'],
    'Integrity checks by result (success: intact, error: corruption found).',
  ),
  backupDuration: m(
    'storage.backup.duration',
    'histogram',
    's',
    ['storage.backend', 'outcome'],
    'Backup duration by outcome; its count by outcome is the backups that succeeded and failed.',
    [0.1, 1, 5, 15, 60, 300, 900, 3600],
  ),
});

export const CACHE_SET = Object.freeze({
  requests: m('cache.requests', 'counter', '{request}', ['cache.name', 'cache.result'], 'Lookups by result (hit, miss).'),
  evictions: m(
    'cache.evictions',
    'counter',
    '{entry}',
    ['cache.name', 'cause'],
    'Entries the cache removed itself, by cause (capacity, expired).',
  ),
  invalidations: m(
    'cache.invalidations',
    'counter',
    '{entry}',
    ['cache.name', 'cause'],
    'Entries removed or replaced by the application, by cause (delete, replace, clear).',
  ),
  entries: m('cache.entries', 'gauge', '{entry}', ['cache.name'], 'Entries held.'),
  memoryUsed: m('cache.memory.used', 'gauge', 'By', ['cache.name'], 'Memory held by entries, as the cache measures it.'),
  latencySaved: m(
    'cache.latency.saved',
    'counter',
    's',
    ['cache.name'],
    'Time hits saved: for each hit, the mean time a miss took to load.',
  ),
});

export const COMPONENT_RUNTIME_SET = Object.freeze({
  loadDuration: m(
    'component.load.duration',
    'histogram',
    's',
    ['component.name'],
    'Time to load a component (compile and instantiate).',
    DURATION_BUCKETS,
  ),
  unloadDuration: m(
    'component.unload.duration',
    'histogram',
    's',
    ['component.name'],
    'Time to unload a component and release what it held.',
    DURATION_BUCKETS,
  ),
  memoryUsed: m('component.memory.used', 'gauge', 'By', ['component.name'], 'Memory a component holds (linear memory for WebAssembly).'),
  cpuTime: m('component.cpu.time', 'counter', 's', ['component.name'], 'CPU time spent running the component.'),
  callDuration: m(
    'component.call.duration',
    'histogram',
    's',
    ['component.name', 'component.target', 'outcome'],
    'Latency of calls from one component (or the host) into another.',
    DURATION_BUCKETS,
  ),
  resourceAllocations: m(
    'component.resource.allocations',
    'counter',
    '{resource}',
    ['component.name', 'resource.type'],
    'Resources (handles, buffers, sockets) allocated.',
  ),
  resourceCleanup: m(
    'component.resource.cleanup.duration',
    'histogram',
    's',
    ['component.name', 'resource.type'],
    'Time to release a resource.',
    DURATION_BUCKETS,
  ),
});

/** Every set by the name docs/metric-sets.md gives it. */
export const METRIC_SETS = Object.freeze({
  transport: TRANSPORT_SET,
  storage: STORAGE_SET,
  cache: CACHE_SET,
  'component runtime': COMPONENT_RUNTIME_SET,
});
