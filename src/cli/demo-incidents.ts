/**
 * The demo's health and alerting: a rule that fires when the tools' error
 * ratio rises, readiness that fails while a component is trapped, and the
 * incidents that show both. Every `cycleMs` an incident starts: for
 * `incidentMs` the error ratio is raised and the `flaky` tool (the hostile
 * example component) traps once; the host stops the instance and
 * re-instantiates it after DEMO_COMPONENT_RECOVERY's delay, and until then
 * the component check fails readiness, saying when the host will retry
 * (health watches the host instead of re-instantiating a second time).
 * State changes are printed.
 */
import type { ComponentHost, ComponentInstance, RecoveryOptions } from '../host/index.js';
import type { MetricsConfigInput, NodeMetrics } from '../node/index.js';

/** Health and alerting sections of the demo's embedded configuration. */
export const DEMO_HEALTH_ALERTING: Pick<MetricsConfigInput, 'health' | 'alerting'> = {
  health: { enabled: true, interval: '5s', recovery: { backoff: '10s' } },
  alerting: {
    enabled: true,
    evaluationInterval: '5s',
    rules: [
      {
        name: 'HighToolErrorRatio',
        severity: 'critical',
        condition: {
          kind: 'ratio',
          selector: 'mcp_tool_calls_total{status="error"}',
          denominator: 'mcp_tool_calls_total',
          window: '30s',
          by: ['tool_name'],
          threshold: 0.2,
        },
        for: '10s',
        keepFiringFor: '10s',
        annotations: { summary: '{{ $labels.tool_name }}: {{ $value | humanizePercentage }} of calls fail' },
      },
    ],
    channels: [{ type: 'console', name: 'console', stream: 'stdout' }],
    route: { channel: 'console', groupBy: ['alertname', 'tool_name'], groupWait: '5s', groupInterval: '30s', repeatInterval: '10m' },
  },
};

/** The demo host's own recovery: a delay long enough for readiness to show the failure. */
export const DEMO_COMPONENT_RECOVERY: RecoveryOptions = { initialDelayMs: 15_000 };

export interface IncidentOptions {
  metrics: NodeMetrics;
  /** An instance of the hostile example component, when built (absent from an installed package); its host recovers it. */
  flaky: ComponentInstance | undefined;
  /** Changes the share of failing calls. */
  setErrorRatio(ratio: number): void;
  normalErrorRatio: number;
  log: (line: string) => void;
  firstAfterMs?: number;
  cycleMs?: number;
  incidentMs?: number;
}

export interface Incidents {
  /** The flaky tool's instance (the host re-instantiates it in place), if any. */
  readonly flaky: ComponentInstance | undefined;
  stop(): void;
}

/** Runs incidents and prints alert and readiness changes (every second). */
export function startIncidents(options: IncidentOptions): Incidents {
  const { metrics, log, flaky } = options;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const later = (ms: number, run: () => void) => {
    const t = setTimeout(run, ms);
    t.unref();
    timers.push(t);
  };
  const cycleMs = options.cycleMs ?? 120_000;
  const incidentMs = options.incidentMs ?? 40_000;
  const incident = () => {
    log(`demo: incident: error ratio raised to 50% for ${incidentMs / 1000} s; the flaky tool traps`);
    options.setErrorRatio(0.5);
    try {
      flaky?.call('misbehave', 3);
    } catch {
      /* the trap is the point: the host isolates the instance */
    }
    later(incidentMs, () => {
      log('demo: incident over: error ratio back to normal');
      options.setErrorRatio(options.normalErrorRatio);
    });
    later(cycleMs, incident);
  };
  later(options.firstAfterMs ?? 20_000, incident);

  const seen = new Map<string, string>();
  let readiness = '';
  const watch = setInterval(async () => {
    for (const a of metrics.alerting?.alerts() ?? []) {
      const key = `${a.rule}{${Object.entries(a.labels)
        .filter(([k]) => k !== 'alertname' && k !== 'severity')
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`;
      if (seen.get(key) !== a.state)
        log(`alert ${key}: ${seen.get(key) ?? 'inactive'} → ${a.state}${a.state === 'firing' ? ` (${a.annotations.summary})` : ''}`);
      seen.set(key, a.state);
    }
    const report = await metrics.health?.readiness();
    if (!report) return;
    const failing = report.checks
      .filter((c) => c.status !== 'healthy')
      .map((c) => `${c.name} ${c.status}${c.reason ? `: ${c.reason}` : ''}`);
    const line = `${report.status === 'unhealthy' ? 'NOT READY (503)' : `ready (${report.status})`}${failing.length ? ` — ${failing.join('; ')}` : ''}`;
    if (line !== readiness) log(`readiness: ${line}`);
    readiness = line;
  }, 1000);
  watch.unref();
  return {
    flaky,
    stop() {
      clearInterval(watch);
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** The flaky tool's call: healthy calls misbehave in a harmless way (mode 0). */
export function callFlaky(instance: ComponentInstance | undefined): 'ok' | 'error' {
  if (!instance) return 'ok';
  try {
    instance.call('misbehave', 0);
    return 'ok';
  } catch {
    return 'error';
  }
}

export type { ComponentHost };
