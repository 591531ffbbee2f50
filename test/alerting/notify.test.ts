/**
 * Notifications to a real HTTP receiver on 127.0.0.1, the clock driven by
 * hand: grouping, de-duplication, repeat, resolution, escalation, silences,
 * inhibition, retries after receiver failures, a receiver restart and
 * shutdown() with nothing lost or duplicated, and a hung channel that blocks
 * neither evaluation nor the other channels.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { alertingFixture, selfMetric } from './support.js';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start(0);
  receivers.push(r);
  return r;
}

const webhook = (name: string, r: WebhookReceiver, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  name,
  url: r.url,
  timeout: '2s',
  retry: { initialBackoff: '1s', maxBackoff: '4s', giveUpAfter: '1h' },
  ...extra,
});

/** Instances whose `up` gauge is 0 fire `Down` at once (for: 0). */
function downRule(extra: Record<string, unknown> = {}) {
  return { name: 'Down', condition: { kind: 'threshold', selector: 'up', op: '==', threshold: 0 }, ...extra };
}

const route = { groupBy: ['alertname'], groupWait: '10s', groupInterval: '1m', repeatInterval: '30m' };

describe('grouping, de-duplication, repeat and resolution', () => {
  it('notifies a group once after groupWait, again only on change or after repeatInterval, then resolved', async () => {
    const r = await receiver();
    const f = alertingFixture({ rules: [downRule()], channels: [webhook('ops', r)], route: { ...route, channel: 'ops' } });
    const up = f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] });
    up.set({ instance: 'a' }, 0);
    up.set({ instance: 'b' }, 0);
    up.set({ instance: 'c' }, 1);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    expect(r.received).toHaveLength(0); // groupWait: gathering

    await f.evaluations(1);
    await f.alerting.idle();
    expect(r.received).toHaveLength(1);
    const first = r.received[0]!;
    expect(first.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupLabels: { alertname: 'Down' },
      commonLabels: { alertname: 'Down', severity: 'warning' },
      truncatedAlerts: 0,
    });
    expect(first.body.alerts.map((a: { labels: { instance: string } }) => a.labels.instance).sort()).toEqual(['a', 'b']);
    expect(first.body.alerts[0].endsAt).toBe('0001-01-01T00:00:00Z');
    expect(first.headers['x-omnimeter-notification-id']).toMatch(/\S+/);

    await f.evaluations(6 * 5); // five group intervals, nothing new: de-duplicated
    await f.alerting.idle();
    expect(r.received).toHaveLength(1);

    up.set({ instance: 'c' }, 0); // a new alert in the group: notified at the next group interval
    await f.evaluations(6);
    await f.alerting.idle();
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.body.alerts).toHaveLength(3);

    await f.evaluations(6 * 30); // 30 minutes unchanged: repeated once
    await f.alerting.idle();
    expect(r.received).toHaveLength(3);
    expect(r.received[2]!.body.alerts).toHaveLength(3);

    for (const instance of ['a', 'b', 'c']) up.set({ instance }, 1);
    await f.evaluations(6);
    await f.alerting.idle();
    expect(r.received).toHaveLength(4);
    const resolved = r.received[3]!.body;
    expect(resolved.status).toBe('resolved');
    expect(
      resolved.alerts.every((a: { status: string; endsAt: string }) => a.status === 'resolved' && a.endsAt !== '0001-01-01T00:00:00Z'),
    ).toBe(true);

    await f.evaluations(6 * 20); // nothing more about a resolved group
    await f.alerting.idle();
    expect(r.received).toHaveLength(4);
    const ids = r.received.map((x) => x.headers['x-omnimeter-notification-id']);
    expect(new Set(ids).size).toBe(4);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notifications', { channel: 'ops' })).toBe(4);
    await f.alerting.shutdown();
  });

  it('groupBy splits groups by label values; routes send matching alerts elsewhere', async () => {
    const ops = await receiver();
    const db = await receiver();
    const f = alertingFixture({
      rules: [downRule()],
      channels: [webhook('ops', ops), webhook('db', db)],
      route: { ...route, channel: 'ops', groupBy: ['alertname', 'instance'], routes: [{ matchers: '{instance=~"db.*"}', channel: 'db' }] },
    });
    const up = f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] });
    for (const instance of ['web1', 'web2', 'db1']) up.set({ instance }, 0);
    await f.evaluations(2);
    await f.alerting.idle();
    expect(ops.received.map((x) => x.body.groupLabels.instance).sort()).toEqual(['web1', 'web2']);
    expect(db.received.map((x) => x.body.groupLabels.instance)).toEqual(['db1']);
    await f.alerting.shutdown();
  });
});

describe('escalation', () => {
  it('re-notifies after repeatInterval, then escalates to a second channel after escalate.after', async () => {
    const first = await receiver();
    const oncall = await receiver();
    const f = alertingFixture({
      rules: [downRule({ severity: 'critical' })],
      channels: [webhook('first', first), webhook('oncall', oncall)],
      route: { ...route, repeatInterval: '10m', channel: 'first', escalate: { after: '25m', channel: 'oncall' } },
    });
    f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] }).set({ instance: 'a' }, 0);
    await f.scheduler.advance(0);
    await f.evaluations(1);
    await f.alerting.idle();
    expect([first.received.length, oncall.received.length]).toEqual([1, 0]);
    await f.evaluations(6 * 11); // 11 minutes: one repeat on the first channel
    await f.alerting.idle();
    expect([first.received.length, oncall.received.length]).toEqual([2, 0]);
    await f.evaluations(6 * 14); // 25 minutes of firing: escalated
    await f.alerting.idle();
    expect(oncall.received).toHaveLength(1);
    expect(oncall.received[0]!.body).toMatchObject({ receiver: 'oncall', status: 'firing' });
    await f.alerting.shutdown();
  });
});

describe('silences and inhibition', () => {
  it('a runtime silence mutes matching alerts until it expires; a config silence too', async () => {
    const r = await receiver();
    const f = alertingFixture({
      rules: [downRule()],
      channels: [webhook('ops', r)],
      route: { ...route, channel: 'ops', groupBy: ['instance'] },
      silences: [{ matchers: '{instance="b"}', endsAt: '2099-01-01T00:00:00Z', comment: 'decommissioned' }],
    });
    const up = f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] });
    const silence = f.alerting.silence({ matchers: '{alertname="Down", instance="a"}', durationMs: 20 * 60_000, comment: 'maintenance' });
    expect(
      f.alerting.silences
        .list()
        .map((s) => s.comment)
        .sort(),
    ).toEqual(['decommissioned', 'maintenance']);
    up.set({ instance: 'a' }, 0);
    up.set({ instance: 'b' }, 0);
    up.set({ instance: 'c' }, 0);
    await f.evaluations(2);
    await f.alerting.idle();
    expect(r.received.map((x) => x.body.groupLabels.instance)).toEqual(['c']);
    await f.evaluations(6 * 20); // the runtime silence expired: a is notified at its next group interval
    await f.alerting.idle();
    expect(r.received.map((x) => x.body.groupLabels.instance)).toEqual(['c', 'a']);
    expect(f.alerting.expireSilence(silence.id)).toBe(false); // already gone
    await f.alerting.shutdown();
  });

  it('a firing critical alert inhibits the warning with equal labels', async () => {
    const r = await receiver();
    const f = alertingFixture({
      rules: [
        { name: 'ErrorsHigh', severity: 'warning', condition: { kind: 'threshold', selector: 'errors', threshold: 10 } },
        { name: 'ErrorsVeryHigh', severity: 'critical', condition: { kind: 'threshold', selector: 'errors', threshold: 100 } },
      ],
      channels: [webhook('ops', r)],
      route: { ...route, channel: 'ops', groupBy: ['alertname', 'service'] },
      inhibit: [{ source: '{severity="critical"}', target: '{severity="warning"}', equal: ['service'] }],
    });
    const errors = f.metrics.gauge('errors', { help: 'Errors.', labelNames: ['service'] });
    errors.set({ service: 'api' }, 500); // both rules fire for api: only the critical is notified
    errors.set({ service: 'web' }, 50); // only the warning for web: notified
    await f.evaluations(2);
    await f.alerting.idle();
    const names = r.received.map((x) => `${x.body.groupLabels.alertname}/${x.body.groupLabels.service}`).sort();
    expect(names).toEqual(['ErrorsHigh/web', 'ErrorsVeryHigh/api']);
    await f.alerting.shutdown();
  });
});

describe('delivery failures', () => {
  it('retries with backoff after receiver failures and delivers each notification exactly once', async () => {
    const r = await receiver();
    const f = alertingFixture({ rules: [downRule()], channels: [webhook('ops', r)], route: { ...route, channel: 'ops' } });
    f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] }).set({ instance: 'a' }, 0);
    r.failFor(3);
    await f.scheduler.advance(0);
    await f.evaluations(1);
    await r.until(() => r.requests === 1);
    expect(r.received).toHaveLength(0);
    await f.scheduler.advance(1000); // backoff 1 s
    await r.until(() => r.requests === 2);
    await f.scheduler.advance(2000); // 2 s
    await r.until(() => r.requests === 3);
    await f.scheduler.advance(4000); // 4 s: delivered
    await f.alerting.idle();
    expect(r.requests).toBe(4);
    expect(r.received).toHaveLength(1);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notification_failures', { channel: 'ops' })).toBe(3);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notifications', { channel: 'ops' })).toBe(1);
    await f.alerting.shutdown();
  });

  it('a receiver restart loses and duplicates nothing: queued notifications arrive once, in order', async () => {
    const r = await receiver();
    const f = alertingFixture({
      rules: [downRule()],
      channels: [webhook('ops', r)],
      route: { ...route, channel: 'ops', groupBy: ['instance'], groupWait: 0 },
    });
    const up = f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] });
    up.set({ instance: 'a' }, 0);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    expect(r.received).toHaveLength(1);
    const port = r.port;
    await r.stop();
    for (const instance of ['b', 'c', 'd']) {
      up.set({ instance }, 0);
      await f.evaluations(1);
    }
    await f.scheduler.advance(5000);
    expect(f.alerting.pending()).toBe(3);
    await r.start(port);
    await f.scheduler.advance(60_000); // the next retry reaches the restarted receiver
    await f.alerting.idle();
    expect(r.received.map((x) => x.body.groupLabels.instance)).toEqual(['a', 'b', 'c', 'd']);
    const ids = r.received.map((x) => x.headers['x-omnimeter-notification-id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notifications_dropped', { channel: 'ops' })).toBe(0);
    await f.alerting.shutdown();
  });

  it('shutdown() notifies groups still in groupWait and drains the queue', async () => {
    const r = await receiver();
    const f = alertingFixture({ rules: [downRule()], channels: [webhook('ops', r)], route: { ...route, channel: 'ops', groupWait: '5m' } });
    f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] }).set({ instance: 'a' }, 0);
    await f.scheduler.advance(0);
    expect(r.received).toHaveLength(0);
    await f.alerting.shutdown();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body.status).toBe('firing');
  });

  it('a hung channel blocks neither evaluation nor another channel; its attempts time out and are retried', async () => {
    const hung = await receiver();
    const ok = await receiver();
    hung.setHang(true);
    const f = alertingFixture({
      rules: [downRule()],
      channels: [webhook('hung', hung, { timeout: '300ms' }), webhook('ok', ok)],
      route: {
        ...route,
        groupBy: ['instance'],
        groupWait: 0,
        routes: [
          { matchers: '{alertname="Down"}', channel: 'hung', continue: true },
          { matchers: '{alertname="Down"}', channel: 'ok' },
        ],
      },
    });
    const up = f.metrics.gauge('up', { help: 'Target up.', labelNames: ['instance'] });
    up.set({ instance: 'a' }, 0);
    await f.scheduler.advance(0);
    await ok.until(() => ok.received.length === 1);
    await hung.until(() => hung.requests === 1);
    up.set({ instance: 'b' }, 0);
    await f.evaluations(1); // evaluation goes on while the hung request is outstanding
    expect(f.stateOf('Down')).toEqual(['firing', 'firing']);
    await ok.until(() => ok.received.length === 2);
    // The hung attempt times out (300 ms of real time: network time) and is counted.
    const failures = () => selfMetric(f.metrics, 'omnimeter_alerting_notification_failures', { channel: 'hung' });
    for (const deadline = Date.now() + 5000; (await failures()) < 1 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(await failures()).toBeGreaterThanOrEqual(1);
    hung.setHang(false);
    await f.scheduler.advance(60_000);
    await f.alerting.idle();
    expect(hung.received.map((x) => x.body.groupLabels.instance)).toEqual(['a', 'b']);
    await f.alerting.shutdown();
  });
});
