/**
 * Health and a component host: the host stops an instance whose guest
 * trapped or ran over its budget and re-instantiates it itself, with
 * backoff (src/host/instance.ts). Health observes that rather than doing it
 * a second time: a component check's reason says what the host is doing
 * (the next attempt, or that it gave up), and the built-in recovery action
 * calls `reinstantiate()` only on instances the host will not retry (its
 * recovery off, or its attempts exhausted). Structural types: any host with
 * `instances()` will do, and health does not import the host.
 */
import type { RecoveryAction } from './monitor.js';

export interface WatchedInstance {
  readonly component: string;
  readonly instance: string;
  healthState(): {
    readonly state: 'healthy' | 'stopped' | 'closed';
    readonly lastError?: string;
    readonly retryAt?: number;
    readonly recoveries: { readonly attempts: number; readonly successes: number };
  };
  reinstantiate(): Promise<unknown>;
}

/** What health needs of a component host (ComponentHost has it). */
export interface ComponentSource {
  instances(): readonly WatchedInstance[];
}

const stoppedOf = (hosts: readonly ComponentSource[], component: string) =>
  hosts.flatMap((h) => h.instances()).filter((i) => i.component === component && i.healthState().state === 'stopped');

/** What the hosts are doing about `component`'s stopped instances, for the check's reason; undefined when none is stopped. */
export function hostRecoveryNote(hosts: readonly ComponentSource[], component: string, now: number): string | undefined {
  const notes = stoppedOf(hosts, component).map((i) => {
    const h = i.healthState();
    const next =
      h.retryAt === undefined
        ? 'the host will not retry it (recovery off or attempts exhausted)'
        : `the host re-instantiates it in ${Math.max(0, Math.ceil((h.retryAt - now) / 1000))} s`;
    return `${i.instance} stopped (${h.lastError ?? 'unknown'}); ${next}; ${h.recoveries.successes}/${h.recoveries.attempts} host re-instantiations succeeded`;
  });
  return notes.length ? notes.join('; ') : undefined;
}

/**
 * The built-in recovery of `component:<name>`: re-instantiate the stopped
 * instances the host will not retry. Not due while the host has an attempt
 * pending, so the two never race and each attempt is counted once (the
 * host's in omnimeter_wasm_recovery_attempts_total, health's in
 * omnimeter_health_recovery_attempts_total).
 */
export function componentRecovery(hosts: readonly ComponentSource[], component: string): RecoveryAction {
  const orphans = () => stoppedOf(hosts, component).filter((i) => i.healthState().retryAt === undefined);
  return {
    description: `re-instantiate the stopped instances of ${component}`,
    due: () => orphans().length > 0,
    async run() {
      await Promise.all(orphans().map((i) => i.reinstantiate()));
    },
  };
}
