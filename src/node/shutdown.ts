/**
 * Shutdown with one deadline, kept whatever clients and receivers do:
 * listeners stop and their connections close, push exporters get the final
 * collection until the deadline (an attempt still running then is aborted),
 * then everything left is closed, and the report says what was not
 * delivered. The event loop is kept alive until it is done, so a process
 * whose only remaining work is the shutdown does not exit half-way.
 */
import type { Undelivered } from '../exporters/pipeline.js';
import type { MetricsServer } from './server.js';

export interface ShutdownReport {
  /** Everything was delivered and closed before the deadline. */
  complete: boolean;
  /** Exporters that could not deliver (or close), with why. */
  undelivered: Undelivered[];
  /** Connections closed by force (unfinished requests, clients holding them open). */
  forcedConnections: number;
  /** How long the shutdown took. */
  durationMs: number;
}

export interface ShutdownSteps {
  timeoutMs: number;
  /** Stops background work that needs no waiting (process metrics, signal handlers, ingest expiry). */
  stopBackground(): void;
  /** Endpoints still starting are waited for (up to the deadline) so none is left listening. */
  started: Promise<unknown>;
  servers(): MetricsServer[];
  /** Final collection and delivery; resolves by the deadline. */
  closePipeline(deadline: number): Promise<Undelivered[]>;
  /** The backend's own close. */
  closeCore(): Promise<void>;
  /** Exports the spans still queued (tracing): after the servers, so spans of their last requests are in. */
  closeTracing?(): Promise<void>;
}

/** Requests in progress get this long to finish before the final collection (within the deadline). */
const SERVER_GRACE_MS = 2000;

function until<T>(work: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function shutdownWithin(steps: ShutdownSteps): Promise<ShutdownReport> {
  const start = Date.now();
  const deadline = start + steps.timeoutMs;
  // A ref'd timer: whatever else is unref'd, the process lives until this resolves.
  const keepAlive = setTimeout(() => {}, steps.timeoutMs + 1000);
  try {
    steps.stopBackground();
    await until(
      steps.started.catch(() => {}),
      deadline,
    );
    const serverDeadline = Math.min(deadline, Date.now() + SERVER_GRACE_MS);
    const closed = await Promise.all(steps.servers().map((s) => s.close(serverDeadline)));
    const forcedConnections = closed.reduce((n, c) => n + c.forcedConnections, 0);
    const undelivered = await steps.closePipeline(deadline);
    if (steps.closeTracing) {
      const traced = await until(
        steps.closeTracing().then(
          () => 'closed' as const,
          (error: Error) => error,
        ),
        deadline,
      );
      if (traced !== 'closed')
        undelivered.push({ exporter: 'tracing', batches: 0, reason: traced ? traced.message : 'spans not exported by the deadline' });
    }
    const core = await until(
      steps.closeCore().then(() => 'closed' as const),
      deadline,
    );
    if (core !== 'closed') undelivered.push({ exporter: 'backend', batches: 0, reason: 'did not close by the deadline' });
    for (const u of undelivered)
      console.warn(
        `omnimeter: shutdown: ${u.exporter}: ${u.batches ? `${u.batches} batch(es) not delivered` : 'not closed'} (${u.reason})`,
      );
    return {
      complete: undelivered.length === 0 && forcedConnections === 0,
      undelivered,
      forcedConnections,
      durationMs: Date.now() - start,
    };
  } finally {
    clearTimeout(keepAlive);
  }
}

/**
 * Flushes and shuts down on SIGTERM/SIGINT, then re-raises the signal so the
 * process ends as it would have. Returns the function that removes both
 * listeners (shutdown calls it, so nothing stays installed).
 */
export function handleSignals(shutdown: () => Promise<unknown>): () => void {
  const remove = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    void shutdown().finally(() => process.kill(process.pid, signal));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return remove;
}
