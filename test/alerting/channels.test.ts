/**
 * Channels against real receivers: e-mail through a real SMTP server
 * (smtp-server, STARTTLS and AUTH PLAIN) parsed by mailparser; the webhook
 * payload compared with the one a real Alertmanager sends for the same
 * alert; the Slack-compatible message; the console channel.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleChannel } from '../../src/alerting/channels.js';
import { dotStuff, sendMail } from '../../src/alerting/smtp.js';
import { startAlertmanager } from '../support/alertmanager.js';
import { type SmtpSink, startSmtp } from '../support/smtp.js';
import { describeWithTools } from '../support/tools.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { alertingFixture, selfMetric } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function smtp(options?: { user?: string; password?: string }): Promise<SmtpSink> {
  const sink = await startSmtp(options);
  cleanup.push(() => sink.close());
  return sink;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start(0);
  cleanup.push(() => r.stop());
  return r;
}

const rule = {
  name: 'Down',
  severity: 'critical',
  condition: { kind: 'threshold', selector: 'up', op: '==', threshold: 0 },
  annotations: { summary: 'instance {{ $labels.instance }} is down' },
};
const route = (channel: string) => ({ channel, groupBy: ['alertname', 'site'], groupWait: 0, groupInterval: '1m', repeatInterval: '1h' });

describe('e-mail over SMTP', () => {
  it('delivers through STARTTLS and AUTH PLAIN; mailparser reads subject, addresses, UTF-8 text and the notification id', async () => {
    const sink = await smtp({ user: 'alerts', password: 's3cret' });
    const f = alertingFixture({
      rules: [rule],
      channels: [
        {
          type: 'email',
          name: 'mail',
          host: '127.0.0.1',
          port: sink.port,
          security: 'starttls',
          rejectUnauthorized: false, // smtp-server's built-in self-signed certificate
          auth: { username: 'alerts', password: 's3cret' },
          from: 'omnimeter@example.com',
          to: ['ops@example.com', 'dev@example.com'],
        },
      ],
      route: route('mail'),
    });
    f.metrics.gauge('up', { help: 'Up.', labelNames: ['instance', 'site'] }).set({ instance: 'db-1', site: 'Zürich ☃' }, 0);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    expect(sink.messages).toHaveLength(1);
    expect(sink.sessions[0]).toEqual({ secure: true, user: 'alerts' });
    const [mail] = sink.messages;
    expect(mail!.from).toBe('omnimeter@example.com');
    expect(mail!.to).toEqual(['ops@example.com', 'dev@example.com']);
    expect(mail!.parsed.subject).toBe('[FIRING:1] Down (site=Zürich ☃)');
    expect(mail!.parsed.text).toContain('instance db-1 is down');
    expect(mail!.parsed.text).toContain('site="Zürich ☃"');
    expect(mail!.parsed.headers.get('x-omnimeter-notification-id')).toMatch(/\S+/);
    expect(mail!.parsed.messageId).toContain('@omnimeter.invalid');
    await f.alerting.shutdown();
  });

  it('retries a 4xx refusal, drops (and counts) a 5xx one', async () => {
    const sink = await smtp();
    const f = alertingFixture({
      rules: [rule],
      channels: [
        {
          type: 'email',
          name: 'mail',
          host: '127.0.0.1',
          port: sink.port,
          security: 'none',
          from: 'a@example.com',
          to: ['b@example.com'],
          retry: { initialBackoff: '1s', maxBackoff: '1s' },
        },
      ],
      route: route('mail'),
    });
    const up = f.metrics.gauge('up', { help: 'Up.', labelNames: ['instance', 'site'] });
    sink.refuse(450, 1);
    up.set({ instance: 'a', site: 'one' }, 0);
    await f.scheduler.advance(0);
    await f.advanceUntil(() => sink.messages.length === 1);
    expect(sink.messages).toHaveLength(1);
    sink.refuse(550, 1);
    up.set({ instance: 'b', site: 'two' }, 0);
    await f.evaluations(1);
    await f.alerting.idle();
    expect(sink.messages).toHaveLength(1);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notifications_dropped', { channel: 'mail', reason: 'rejected' })).toBe(1);
    expect(await selfMetric(f.metrics, 'omnimeter_alerting_notification_failures', { channel: 'mail' })).toBe(2);
    await f.alerting.shutdown();
  });

  it('dot-stuffing: any text arrives exactly as sent', async () => {
    const sink = await smtp();
    const line = fc.oneof(
      fc.constantFrom('.', '..', '.x', ''),
      fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '')),
    );
    const bodies = fc.sample(fc.array(line, { minLength: 1, maxLength: 6 }), { numRuns: 25, seed: 5 }).map((lines) => lines.join('\r\n'));
    for (const body of bodies) {
      const message = `From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n\r\n${body}\r\n`;
      await sendMail(
        { host: '127.0.0.1', port: sink.port, security: 'none', rejectUnauthorized: true },
        { from: 'a@example.com', to: ['b@example.com'] },
        message,
      );
      expect(sink.messages.at(-1)!.raw).toBe(message);
    }
    expect(dotStuff('.a\n..b\nc')).toBe('..a\r\n...b\r\nc');
  });
});

describeWithTools(['alertmanager'], 'webhook payload', () => {
  /** Keys and value types, recursively: the structure a receiver relies on. */
  const shape = (v: unknown): unknown =>
    Array.isArray(v)
      ? [shape(v[0])]
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [
                k,
                k === 'labels' || k === 'annotations' || k.startsWith('common') || k === 'groupLabels' ? 'map' : shape(x),
              ]),
          )
        : typeof v;

  it("has the structure of a real Alertmanager's webhook payload, with the same values for the same alert", async () => {
    const ours = await receiver();
    const theirs = await receiver();
    const am = await startAlertmanager(theirs.url);
    cleanup.push(() => am.stop());
    const f = alertingFixture(
      {
        rules: [rule],
        channels: [{ type: 'webhook', name: 'hook', url: ours.url }],
        route: { channel: 'hook', groupBy: ['alertname'], groupWait: 0 },
      },
      undefined,
      Date.now(), // Alertmanager refuses alerts that start in the future
    );
    f.metrics.gauge('up', { help: 'Up.', labelNames: ['instance', 'site'] }).set({ instance: 'a', site: 's' }, 0);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    const mine = ours.received[0]!.body;
    const alert = mine.alerts[0];
    await am.post([{ labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt, generatorURL: 'http://x/' }]);
    await theirs.until(() => theirs.received.length > 0, 15_000);
    const reference = theirs.received[0]!.body;
    expect(shape(mine)).toEqual(shape(reference));
    for (const key of ['version', 'status', 'groupLabels', 'commonLabels', 'commonAnnotations', 'truncatedAlerts'])
      expect(mine[key], key).toEqual(reference[key]);
    expect(alert.labels).toEqual(reference.alerts[0].labels);
    expect(alert.status).toBe(reference.alerts[0].status);
    expect(alert.endsAt).toBe(reference.alerts[0].endsAt);
    await f.alerting.shutdown();
  });
});

describe('Slack-compatible webhook and console', () => {
  it('posts text plus one coloured attachment per alert', async () => {
    const r = await receiver();
    const f = alertingFixture({
      rules: [rule],
      channels: [{ type: 'slack', name: 'slack', url: r.url, channel: '#ops', username: 'omnimeter' }],
      route: route('slack'),
    });
    f.metrics.gauge('up', { help: 'Up.', labelNames: ['instance', 'site'] }).set({ instance: '<a&b>', site: 'x' }, 0);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    const body = r.received[0]!.body;
    expect(body).toMatchObject({ channel: '#ops', username: 'omnimeter', text: '[FIRING:1] Down (site=x)' });
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]).toMatchObject({ color: 'danger', title: 'FIRING: Down', text: 'instance &lt;a&amp;b&gt; is down' });
    await f.alerting.shutdown();
  });

  it('console writes a title line and the alert', async () => {
    const lines: string[] = [];
    const channel = consoleChannel(
      {
        type: 'console',
        name: 'log',
        stream: 'stderr',
        format: 'text',
        timeout: '1s',
        maxQueue: 1,
        retry: {} as never,
        sendResolved: true,
      },
      (l) => lines.push(l),
    );
    const f = alertingFixture({ rules: [rule], channels: [{ type: 'console', name: 'log' }], route: route('log') }, { log: channel });
    f.metrics.gauge('up', { help: 'Up.', labelNames: ['instance', 'site'] }).set({ instance: 'a', site: 'x' }, 0);
    await f.scheduler.advance(0);
    await f.alerting.idle();
    expect(lines.join('')).toMatch(
      /^\[FIRING:1\] Down \(site=x\)\n {2}FIRING since .*\n {4}labels: .*instance="a".*\n {4}summary: instance a is down\n$/,
    );
    await f.alerting.shutdown();
  });
});
