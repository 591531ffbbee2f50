/**
 * Node process metrics under the names prom-client users already chart and
 * alert on, plus event-loop utilisation. Values are read at collection time
 * (collect hooks), so nothing runs between scrapes except Node's own
 * event-loop-delay sampler and GC observer.
 */
import { readFile, readdir } from 'node:fs/promises';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Metrics } from '../api/metrics.js';

export interface DefaultMetricsOptions {
  /** Prepended to every name, e.g. "myapp_". */
  prefix?: string;
  /** Buckets of nodejs_gc_duration_seconds. */
  gcDurationBuckets?: readonly number[];
  /** Sampling resolution of the event-loop delay monitor in ms. Default 10. */
  eventLoopMonitoringPrecision?: number;
}

export interface DefaultMetricsHandle {
  /** Stops the event-loop and GC observers and the collect hooks. */
  stop(): void;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

async function procStatus(): Promise<Map<string, number> | undefined> {
  try {
    const text = await readFile('/proc/self/status', 'utf8');
    const fields = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^(\w+):\s+(\d+) kB/.exec(line);
      if (match) fields.set(match[1]!, Number(match[2]) * 1024);
    }
    return fields;
  } catch {
    return undefined; // not Linux
  }
}

async function maxFds(): Promise<number | undefined> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const match = /Max open files\s+(\d+)/.exec(limits);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

type Stop = () => void;

/** What each group of metrics needs: the registry, the name prefix, and a collect hook registrar. */
interface Group {
  readonly metrics: Metrics;
  readonly p: string;
  hook(name: string, run: () => void | Promise<void>): void;
}

export function collectDefaultMetrics(metrics: Metrics, options: DefaultMetricsOptions = {}): DefaultMetricsHandle {
  const p = options.prefix ?? '';
  const stops: Stop[] = [];
  const group: Group = { metrics, p, hook: (name, run) => void stops.push(metrics.registry.addCollectHook(p + name, run)) };
  cpuTime(group);
  startTime(group);
  memory(group);
  fileDescriptors(group);
  stops.push(eventLoopLag(group, options.eventLoopMonitoringPrecision ?? 10));
  eventLoopUtilization(group);
  activeResources(group);
  v8Heap(group);
  nodeVersion(group);
  stops.push(gcPauses(group, options.gcDurationBuckets ?? [0.001, 0.01, 0.1, 1, 2, 5]));
  return {
    stop() {
      for (const stop of stops) stop();
    },
  };
}

/** process_cpu_*: counters advanced by the CPU time used since the previous collection. */
function cpuTime({ metrics, p, hook }: Group): void {
  // CPU: counters advanced by the delta since the previous collection.
  const cpuUser = metrics.counter(`${p}process_cpu_user_seconds_total`, { help: 'Total user CPU time spent in seconds.', unit: 'seconds' });
  const cpuSystem = metrics.counter(`${p}process_cpu_system_seconds_total`, {
    help: 'Total system CPU time spent in seconds.',
    unit: 'seconds',
  });
  const cpuTotal = metrics.counter(`${p}process_cpu_seconds_total`, {
    help: 'Total user and system CPU time spent in seconds.',
    unit: 'seconds',
  });
  let lastCpu = process.cpuUsage();
  hook('process_cpu', () => {
    const now = process.cpuUsage();
    const user = (now.user - lastCpu.user) / 1e6;
    const system = (now.system - lastCpu.system) / 1e6;
    lastCpu = now;
    cpuUser.inc(user);
    cpuSystem.inc(system);
    cpuTotal.inc(user + system);
  });
}

/** process_start_time_seconds, set once. */
function startTime({ metrics, p }: Group): void {
  metrics
    .gauge(`${p}process_start_time_seconds`, { help: 'Start time of the process since unix epoch in seconds.', unit: 'seconds' })
    .set(Math.round(Date.now() / 1000 - process.uptime()));
}

/** Resident, virtual and data-segment sizes from /proc (resident from Node elsewhere). */
function memory({ metrics, p, hook }: Group): void {
  const rss = metrics.gauge(`${p}process_resident_memory_bytes`, { help: 'Resident memory size in bytes.', unit: 'bytes' });
  const vsz = metrics.gauge(`${p}process_virtual_memory_bytes`, { help: 'Virtual memory size in bytes.', unit: 'bytes' });
  const heap = metrics.gauge(`${p}process_heap_bytes`, { help: 'Process heap size in bytes.', unit: 'bytes' });
  hook('process_memory', async () => {
    const status = await procStatus();
    rss.set(status?.get('VmRSS') ?? process.memoryUsage.rss());
    if (status?.has('VmSize')) vsz.set(status.get('VmSize')!);
    if (status?.has('VmData')) heap.set(status.get('VmData')!);
  });
}

/** Open and maximum file descriptors (Linux). */
function fileDescriptors({ metrics, p, hook }: Group): void {
  const openFds = metrics.gauge(`${p}process_open_fds`, { help: 'Number of open file descriptors.' });
  const maxFdsGauge = metrics.gauge(`${p}process_max_fds`, { help: 'Maximum number of open file descriptors.' });
  hook('process_fds', async () => {
    try {
      openFds.set((await readdir('/proc/self/fd')).length - 1); // minus the fd readdir itself holds
    } catch {
      /* not Linux */
    }
    const max = await maxFds();
    if (max !== undefined) maxFdsGauge.set(max);
  });
}

/** Event-loop lag now, and the delay distribution sampled by libuv between collections. */
function eventLoopLag({ metrics, p, hook }: Group, precision: number): Stop {
  // Event loop delay, sampled by libuv between collections, then reset.
  const delay = monitorEventLoopDelay({ resolution: precision });
  delay.enable();
  const lag = (name: string, help: string) => metrics.gauge(`${p}nodejs_eventloop_lag_${name}seconds`, { help, unit: 'seconds' });
  const lagGauges = {
    min: lag('min_', 'The minimum recorded event loop delay.'),
    max: lag('max_', 'The maximum recorded event loop delay.'),
    mean: lag('mean_', 'The mean of the recorded event loop delays.'),
    stddev: lag('stddev_', 'The standard deviation of the recorded event loop delays.'),
    p50: lag('p50_', 'The 50th percentile of the recorded event loop delays.'),
    p90: lag('p90_', 'The 90th percentile of the recorded event loop delays.'),
    p99: lag('p99_', 'The 99th percentile of the recorded event loop delays.'),
  };
  const lagNow = lag('', 'Lag of event loop in seconds.');
  hook('nodejs_eventloop_lag', async () => {
    const start = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    lagNow.set((performance.now() - start) / 1000);
    if (delay.count > 0) {
      lagGauges.min.set(delay.min / 1e9);
      lagGauges.max.set(delay.max / 1e9);
      lagGauges.mean.set(delay.mean / 1e9);
      lagGauges.stddev.set(delay.stddev / 1e9);
      lagGauges.p50.set(delay.percentile(50) / 1e9);
      lagGauges.p90.set(delay.percentile(90) / 1e9);
      lagGauges.p99.set(delay.percentile(99) / 1e9);
    }
    delay.reset();
  });
  return () => delay.disable();
}

/** Event-loop utilisation since the previous collection. */
function eventLoopUtilization({ metrics, p, hook }: Group): void {
  const elu = metrics.gauge(`${p}nodejs_eventloop_utilization_ratio`, {
    help: 'Fraction of time the event loop was busy since the previous collection.',
    unit: 'ratio',
  });
  let lastElu = performance.eventLoopUtilization();
  hook('nodejs_eventloop_utilization', () => {
    const now = performance.eventLoopUtilization();
    elu.set(performance.eventLoopUtilization(now, lastElu).utilization);
    lastElu = now;
  });
}

/** Active resources, handles and requests by type, as prom-client reports them. */
function activeResources({ metrics, p, hook }: Group): void {
  // Active handles and requests, as prom-client reports them.
  const resources = metrics.gauge(`${p}nodejs_active_resources`, {
    help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    labelNames: ['type'],
  });
  // prom-client's names, "_total" gauges included: dashboards query them as is.
  const resourcesTotal = metrics.gauge(`${p}nodejs_active_resources_total`, { help: 'Total number of active resources.' });
  const handles = metrics.gauge(`${p}nodejs_active_handles`, {
    help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
    labelNames: ['type'],
  });
  const handlesTotal = metrics.gauge(`${p}nodejs_active_handles_total`, { help: 'Total number of active handles.' });
  const requests = metrics.gauge(`${p}nodejs_active_requests`, {
    help: 'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
    labelNames: ['type'],
  });
  const requestsTotal = metrics.gauge(`${p}nodejs_active_requests_total`, { help: 'Total number of active requests.' });
  const internals = process as unknown as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };
  const setByType = (gauge: typeof resources, types: Iterable<string>): number => {
    const byType = new Map<string, number>();
    for (const type of types) byType.set(type, (byType.get(type) ?? 0) + 1);
    gauge.reset();
    let total = 0;
    for (const [type, count] of byType) {
      gauge.set({ type }, count);
      total += count;
    }
    return total;
  };
  const typeOf = (o: unknown) => (o as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'unknown';
  hook('nodejs_active_resources', () => {
    resourcesTotal.set(setByType(resources, process.getActiveResourcesInfo()));
    if (internals._getActiveHandles) handlesTotal.set(setByType(handles, internals._getActiveHandles().map(typeOf)));
    if (internals._getActiveRequests) requestsTotal.set(setByType(requests, internals._getActiveRequests().map(typeOf)));
  });
}

/** V8 heap totals and per-space sizes. */
function v8Heap({ metrics, p, hook }: Group): void {
  // V8 heap.
  const heapTotal = metrics.gauge(`${p}nodejs_heap_size_total_bytes`, { help: 'Process heap size from Node.js in bytes.', unit: 'bytes' });
  const heapUsed = metrics.gauge(`${p}nodejs_heap_size_used_bytes`, {
    help: 'Process heap size used from Node.js in bytes.',
    unit: 'bytes',
  });
  const external = metrics.gauge(`${p}nodejs_external_memory_bytes`, { help: 'Node.js external memory size in bytes.', unit: 'bytes' });
  const space = (what: string) =>
    metrics.gauge(`${p}nodejs_heap_space_size_${what}_bytes`, {
      help: `Process heap space size ${what} from Node.js in bytes.`,
      labelNames: ['space'],
      unit: 'bytes',
    });
  const spaceTotal = space('total');
  const spaceUsed = space('used');
  const spaceAvailable = space('available');
  hook('nodejs_heap', () => {
    const usage = process.memoryUsage();
    heapTotal.set(usage.heapTotal);
    heapUsed.set(usage.heapUsed);
    external.set(usage.external);
    for (const s of v8.getHeapSpaceStatistics()) {
      const name = s.space_name.replace(/_space$/, '');
      spaceTotal.set({ space: name }, s.space_size);
      spaceUsed.set({ space: name }, s.space_used_size);
      spaceAvailable.set({ space: name }, s.space_available_size);
    }
  });
}

/** nodejs_version_info. */
function nodeVersion({ metrics, p }: Group): void {
  const [major, minor, patch] = process.versions.node.split('.');
  metrics
    .gauge(`${p}nodejs_version_info`, { help: 'Node.js version info.', labelNames: ['version', 'major', 'minor', 'patch'] })
    .set({ version: process.version, major: major ?? '', minor: minor ?? '', patch: patch ?? '' }, 1);
}

/** GC pauses by kind, observed as they happen. */
function gcPauses({ metrics, p }: Group, buckets: readonly number[]): Stop {
  // GC pauses, observed as they happen.
  const gc = metrics.histogram(`${p}nodejs_gc_duration_seconds`, {
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: buckets,
    unit: 'seconds',
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? -1] ?? 'unknown';
      gc.observe({ kind }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
