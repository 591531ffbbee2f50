/**
 * Notification channels built from the configuration: a generic webhook
 * (Alertmanager's payload), a Slack-compatible incoming webhook, e-mail over
 * SMTP and the console. Each only delivers one notification; queues,
 * timeouts and retries are the dispatcher's.
 */
import type { ChannelConfig } from '../config/alerting-schema.js';
import { type Channel, DeliveryError, type Notification, plainText, title } from './notification.js';
import { formatMessage, sendMail } from './smtp.js';

/** 2xx is delivered; 408, 429 and 5xx are retried; other answers drop the notification. */
async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal });
  } catch (error) {
    throw new DeliveryError(signal.aborted ? 'timed out' : `${(error as Error).message}${causeOf(error)}`);
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new DeliveryError(`HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, retryable);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : '';
}

export function webhookChannel(config: Extract<ChannelConfig, { type: 'webhook' }>): Channel {
  return {
    name: config.name,
    send: (e, signal) =>
      post(config.url, JSON.stringify(e.notification), { ...config.headers, 'x-omnimeter-notification-id': e.id }, signal),
  };
}

/** Slack's incoming-webhook message: a text fallback and one coloured attachment per alert. */
export function slackPayload(n: Notification, overrides: { channel?: string; username?: string } = {}): Record<string, unknown> {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    ...(overrides.channel ? { channel: overrides.channel } : {}),
    ...(overrides.username ? { username: overrides.username } : {}),
    text: esc(title(n)),
    attachments: n.alerts.map((a) => ({
      color: a.status === 'firing' ? (a.labels.severity === 'critical' ? 'danger' : 'warning') : 'good',
      title: esc(`${a.status.toUpperCase()}: ${a.labels.alertname ?? ''}`),
      text: esc(a.annotations.summary ?? a.annotations.description ?? ''),
      fields: Object.entries(a.labels)
        .filter(([k]) => k !== 'alertname')
        .map(([k, v]) => ({ title: k, value: esc(v), short: true })),
      fallback: esc(`${a.status} ${a.labels.alertname ?? ''}`),
      mrkdwn_in: ['text'],
    })),
  };
}

export function slackChannel(config: Extract<ChannelConfig, { type: 'slack' }>): Channel {
  return {
    name: config.name,
    send: (e, signal) => post(config.url, JSON.stringify(slackPayload(e.notification, config)), {}, signal),
  };
}

export function emailChannel(config: Extract<ChannelConfig, { type: 'email' }>, now: () => number = Date.now): Channel {
  return {
    name: config.name,
    async send(e, signal) {
      const message = formatMessage({
        from: config.from,
        to: config.to,
        subject: title(e.notification),
        text: `${plainText(e.notification)}\n${e.notification.externalURL ? `\n${e.notification.externalURL}\n` : ''}`,
        messageId: `${e.id}@omnimeter.invalid`,
        date: new Date(now()),
        headers: { 'X-Omnimeter-Notification-Id': e.id },
      });
      await sendMail({ ...config, signal }, { from: config.from, to: config.to }, message);
    },
  };
}

export function consoleChannel(
  config: Extract<ChannelConfig, { type: 'console' }>,
  write: (line: string) => void = (line) => (config.stream === 'stdout' ? process.stdout : process.stderr).write(line),
): Channel {
  return {
    name: config.name,
    async send(e) {
      if (config.format === 'json') write(`${JSON.stringify({ id: e.id, ...e.notification })}\n`);
      else write(`${title(e.notification)}\n${plainText(e.notification).replace(/^/gm, '  ')}\n`);
    },
  };
}

export function buildChannel(config: ChannelConfig, now?: () => number): Channel {
  switch (config.type) {
    case 'webhook':
      return webhookChannel(config);
    case 'slack':
      return slackChannel(config);
    case 'email':
      return emailChannel(config, now);
    case 'console':
      return consoleChannel(config);
  }
}
