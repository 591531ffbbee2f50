/**
 * Alerting rules with Prometheus' state machine (rules/alerting.go, 2.42):
 * an element of the condition's result becomes a pending alert; it fires once
 * it has been active for `for`; when it leaves the result it resolves, unless
 * `keepFiringFor` keeps it firing a while longer; a resolved alert is kept
 * (and reported) for 15 minutes so receivers hear about it, a pending one is
 * simply dropped. Labels are the element's labels, the rule's labels, the
 * severity and `alertname`; annotations are rendered from their templates.
 */
import { type RuleConfig, durationMs } from '../config/alerting-schema.js';
import type { Labels } from '../config/selector.js';
import { type CompiledTemplate, compileTemplate } from '../config/template.js';
import { type CompiledCondition, compileCondition } from './conditions.js';
import type { SeriesHistory } from './history.js';
import { labelKey, withoutName } from './promql.js';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** An alert as reported: plain data. */
export interface AlertSnapshot {
  readonly rule: string;
  readonly fingerprint: string;
  readonly labels: Labels;
  readonly annotations: Readonly<Record<string, string>>;
  /** "resolved" is Prometheus' inactive state with a resolution time, kept for 15 minutes. */
  readonly state: Exclude<AlertState, 'inactive'>;
  readonly value: number;
  readonly activeAt: number;
  readonly firedAt?: number;
  readonly resolvedAt?: number;
}

interface Active {
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: number;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  keepFiringSince?: number;
}

/** How long a resolved alert is still reported (Prometheus' resolvedRetention). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** 64-bit FNV-1a of the sorted label set, as 16 hex digits: stable across restarts. */
export function fingerprint(labels: Labels): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of new TextEncoder().encode(labelKey(labels))) {
    h ^= BigInt(ch);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

export interface RuleStatus {
  readonly name: string;
  readonly health: 'unknown' | 'ok' | 'error';
  readonly lastError?: string;
  readonly lastEvaluation?: number;
}

export class AlertRule {
  readonly condition: CompiledCondition;
  private readonly forMs: number;
  private readonly keepFiringForMs: number;
  private readonly annotations: [string, CompiledTemplate][];
  private readonly active = new Map<string, Active>();
  private status: RuleStatus;

  constructor(readonly config: RuleConfig) {
    this.condition = compileCondition(config.condition);
    this.forMs = durationMs(config.for);
    this.keepFiringForMs = durationMs(config.keepFiringFor);
    this.annotations = Object.entries(config.annotations).map(([k, v]) => [k, compileTemplate(v)]);
    this.status = { name: config.name, health: 'unknown' };
  }

  get name(): string {
    return this.config.name;
  }

  get health(): RuleStatus {
    return this.status;
  }

  /** One evaluation at time `t` (ms since the epoch). */
  evaluate(history: SeriesHistory, t: number): void {
    let result: ReturnType<CompiledCondition['evaluate']>;
    try {
      result = this.condition.evaluate(history, t);
      this.status = { name: this.name, health: 'ok', lastEvaluation: t };
    } catch (error) {
      // A failing evaluation leaves alerts as they were, as Prometheus does.
      this.status = { name: this.name, health: 'error', lastError: (error as Error).message, lastEvaluation: t };
      return;
    }
    const current = new Set<string>();
    for (const element of result) {
      const labels: Record<string, string> = {
        ...withoutName(element.labels),
        ...this.config.labels,
        severity: this.config.severity,
        alertname: this.name,
      };
      const fp = fingerprint(labels);
      current.add(fp);
      const annotations = Object.fromEntries(this.annotations.map(([k, tpl]) => [k, tpl.render(labels, element.value)]));
      const existing = this.active.get(fp);
      if (existing && existing.state !== 'inactive') {
        existing.value = element.value;
        existing.annotations = annotations;
        existing.keepFiringSince = undefined;
        continue;
      }
      this.active.set(fp, { fingerprint: fp, labels, annotations, state: 'pending', value: element.value, activeAt: t });
    }
    for (const [fp, a] of this.active) {
      if (!current.has(fp)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringForMs > 0) {
          a.keepFiringSince ??= t;
          keepFiring = t - a.keepFiringSince < this.keepFiringForMs;
        }
        if (a.state === 'pending' || (a.resolvedAt !== undefined && t - a.resolvedAt > RESOLVED_RETENTION_MS)) this.active.delete(fp);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = t;
        }
        if (!keepFiring) continue;
      }
      if (a.state === 'pending' && t - a.activeAt >= this.forMs) {
        a.state = 'firing';
        a.firedAt = t;
      }
    }
  }

  /** Alerts pending, firing, or resolved within the retention. */
  alerts(): AlertSnapshot[] {
    return [...this.active.values()].map((a) => ({
      rule: this.name,
      fingerprint: a.fingerprint,
      labels: a.labels,
      annotations: a.annotations,
      state: a.state === 'inactive' ? 'resolved' : a.state,
      value: a.value,
      activeAt: a.activeAt,
      ...(a.firedAt !== undefined ? { firedAt: a.firedAt } : {}),
      ...(a.resolvedAt !== undefined && a.state === 'inactive' ? { resolvedAt: a.resolvedAt } : {}),
    }));
  }
}
