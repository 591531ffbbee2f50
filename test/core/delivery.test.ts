/**
 * The one delivery worker exporters and alert channels share: order and
 * exactly-once delivery across failures, a bounded queue, refusals and
 * expiry dropped by reason, retryNow() ending a backoff (recovery actions),
 * and close() aborting an attempt still in flight at its deadline.
 */
import { describe, expect, it } from 'vitest';
import { type Destination, type DropReason, DeliveryWorker } from '../../src/core/delivery.js';
import { ManualScheduler } from '../../src/core/scheduler.js';

function recorder(send: (item: number, attempt: number) => Promise<void>) {
  const delivered: number[] = [];
  const dropped: [DropReason, number][] = [];
  let attempts = 0;
  let failures = 0;
  const destination: Destination<number> = {
    describe: 'test receiver',
    send: (item) => send(item, ++attempts),
    retryable: (error) => !(error instanceof Error && error.message === 'refused'),
    delivered: (item) => void delivered.push(item),
    failed: () => void failures++,
    dropped: (reason, count) => void dropped.push([reason, count]),
  };
  return { destination, delivered, dropped, attempts: () => attempts, failures: () => failures };
}

const options = { maxQueue: 3, initialBackoffMs: 1000, maxBackoffMs: 4000, timeoutMs: 5000 };

describe('DeliveryWorker', () => {
  it('delivers in order, each once, across failures; the oldest is dropped when the queue is full', async () => {
    const scheduler = new ManualScheduler();
    let down = true;
    const r = recorder(async () => {
      if (down) throw new Error('receiver down');
    });
    const warnings: string[] = [];
    const worker = new DeliveryWorker(r.destination, options, (m) => warnings.push(m), scheduler);
    for (const item of [1, 2, 3, 4]) worker.enqueue(item);
    await scheduler.advance(0);
    expect(r.dropped).toEqual([['queue_full', 1]]);
    expect(worker.pending).toBe(3);
    await scheduler.advance(1000);
    await scheduler.advance(2000);
    expect(r.failures()).toBe(3);
    down = false;
    await scheduler.advance(4000);
    await worker.idle();
    expect(r.delivered).toEqual([2, 3, 4]);
    expect(warnings).toEqual([
      'omnimeter: test receiver failed (receiver down); retrying with backoff',
      'omnimeter: test receiver recovered',
    ]);
  });

  it('drops a refused item at once and an expired one after giveUpAfter, and goes on with the next', async () => {
    const scheduler = new ManualScheduler();
    const r = recorder(async (item) => {
      if (item === 1) throw new Error('refused');
      if (item === 2) throw new Error('receiver down');
    });
    const worker = new DeliveryWorker(r.destination, { ...options, giveUpAfterMs: 2500 }, () => {}, scheduler);
    for (const item of [1, 2, 3]) worker.enqueue(item);
    for (let i = 0; i < 5; i++) await scheduler.advance(1000);
    await worker.idle();
    expect(r.dropped).toEqual([
      ['rejected', 1],
      ['expired', 1],
    ]);
    expect(r.delivered).toEqual([3]);
  });

  it('retryNow() ends a backoff and resolves with the outcome of that attempt', async () => {
    let healed = false;
    const r = recorder(async () => {
      if (!healed) throw new Error('stale connection');
    });
    const worker = new DeliveryWorker(r.destination, { ...options, initialBackoffMs: 3_600_000 }, () => {});
    worker.enqueue(1);
    for (const deadline = Date.now() + 5000; r.attempts() < 1 && Date.now() < deadline; ) await new Promise((s) => setTimeout(s, 5));
    expect(await worker.retryNow()).toBe(false); // still failing: the hour-long backoff was cut short
    expect(r.attempts()).toBe(2);
    healed = true;
    expect(await worker.retryNow()).toBe(true);
    expect(r.delivered).toEqual([1]);
    expect(await worker.retryNow()).toBe(true); // nothing waiting
  });

  it('close() aborts an attempt still in flight at the deadline and reports what it dropped', async () => {
    let signalled: AbortSignal | undefined;
    const r = recorder((_, attempt) => {
      if (attempt === 1) return Promise.reject(new Error('receiver down'));
      return new Promise<void>(() => {}); // hangs, ignoring its signal
    });
    const hang: Destination<number> = {
      ...r.destination,
      send: (item, signal) => {
        signalled = signal;
        return r.destination.send(item, signal);
      },
    };
    const worker = new DeliveryWorker(hang, { ...options, timeoutMs: 60_000 }, () => {});
    worker.enqueue(1);
    worker.enqueue(2);
    const started = Date.now();
    const unsent = await worker.close(Date.now() + 300);
    expect(Date.now() - started).toBeLessThan(10_000); // bounded by the deadline, not the 60 s timeout
    expect(signalled?.aborted).toBe(true);
    expect(unsent).toEqual({ items: 2, reason: 'receiver down' }); // the failure, not the deadline that cut the retry short
    expect(r.dropped).toEqual([['shutdown', 2]]);
    expect(r.delivered).toEqual([]);
  });
});
