/**
 * The `alerting` section: rules, notification channels, routing, silences
 * and inhibition. Selectors use PromQL's syntax and annotations Prometheus'
 * template language, both checked here, so `validate-config` catches a bad
 * rule before anything runs and `omnimeter alerts export` can hand the same
 * text to Prometheus.
 */
import * as z from 'zod';
import { SelectorError, parseSelector } from './selector.js';
import { TemplateError, compileTemplate } from './template.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from seconds (a number) or "500ms", "10s", "5m", "1h", "1d"; 0 allowed where `zero`. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  return m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : Number.NaN;
}

const duration = (description: string, { zero = false } = {}) => {
  const error = `expected a duration${zero ? ' (0 allowed)' : ''}: seconds as a number, or "500ms", "30s", "5m", "1h", "1d"`;
  return z
    .union([z.number(), z.string()], { error })
    .refine(
      (v) => {
        const ms = durationMs(v);
        return Number.isFinite(ms) && (zero ? ms >= 0 : ms > 0);
      },
      { error },
    )
    .meta({ description });
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labelName = z.string({ error: 'expected a label name' }).regex(LABEL_NAME, { error: 'expected a label name [a-zA-Z_][a-zA-Z0-9_]*' });

const selector = (description: string, { metric = true } = {}) =>
  z
    .string({ error: 'expected a selector like `name{label="value"}`' })
    .superRefine((text, ctx) => {
      try {
        const parsed = parseSelector(text);
        if (metric && !parsed.metric)
          ctx.addIssue({ code: 'custom', message: 'expected a selector that starts with a metric name', input: text });
        if (!metric && parsed.metric)
          ctx.addIssue({ code: 'custom', message: 'expected label matchers only, like `{severity="critical"}`', input: text });
      } catch (error) {
        if (!(error instanceof SelectorError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message, input: text });
      }
    })
    .meta({ description });

const template = z.string({ error: 'expected a template string' }).superRefine((text, ctx) => {
  try {
    compileTemplate(text);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message, input: text });
  }
});

const positive = (description: string) =>
  z.number({ error: 'expected a positive number' }).gt(0, { error: 'expected a positive number' }).meta({ description });

const int = (min: number, max: number) => {
  const error = `expected an integer ${min}-${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

const op = z
  .enum(['>', '>=', '<', '<=', '==', '!='], { error: 'expected one of ">", ">=", "<", "<=", "==", "!="' })
  .default('>')
  .meta({ description: 'Comparison of the measured value with `threshold`.' });
const threshold = z.number({ error: 'expected a number' }).meta({ description: 'The value compared with.' });
const window = duration('Range the rate or quantile is computed over, as PromQL `[window]`.');
const by = z.array(labelName, { error: 'expected a list of label names' }).optional().meta({
  description:
    'Aggregate (sum) by these labels; one alert per group. Absent: one alert per series (rate), or one in all (ratio, quantile).',
});
const quantile = z
  .number({ error: 'expected a quantile in [0, 1]' })
  .min(0, { error: 'expected a quantile in [0, 1]' })
  .max(1, { error: 'expected a quantile in [0, 1]' })
  .meta({ description: 'The quantile, e.g. 0.99.' });
const source = z
  .enum(['histogram', 'summary'], { error: 'expected "histogram" or "summary"' })
  .default('histogram')
  .meta({ description: 'histogram: `histogram_quantile` over bucket rates; summary: the quantile series the summary exposes.' });

/** What regression and anomaly rules measure. */
const MeasureSchema = z.enum(['value', 'rate', 'quantile', 'mean'], { error: 'expected "value", "rate", "quantile" or "mean"' }).meta({
  description: 'value: the instant value; rate: per-second rate; quantile: a histogram quantile; mean: histogram sum/count rate.',
});

export const ConditionSchema = z
  .discriminatedUnion(
    'kind',
    [
      z
        .strictObject({
          kind: z.literal('threshold'),
          selector: selector('The series compared, e.g. `queue_depth{queue="mail"}`.'),
          op,
          threshold,
          aggregate: z
            .strictObject({
              op: z.enum(['sum', 'avg', 'min', 'max', 'count'], { error: 'expected "sum", "avg", "min", "max" or "count"' }),
              by: z.array(labelName).default([]),
            })
            .optional()
            .meta({ description: 'Aggregate the selected series first, e.g. { op: max, by: [queue] }.' }),
        })
        .meta({ title: 'threshold', description: 'The instant value against a threshold: `selector > threshold`.' }),
      z
        .strictObject({ kind: z.literal('rate'), selector: selector('A counter, e.g. `errors_total`.'), window, op, threshold, by })
        .meta({ title: 'rate', description: 'A per-second rate over a window: `rate(selector[window]) > threshold`.' }),
      z
        .strictObject({
          kind: z.literal('quantile'),
          selector: selector('A histogram or summary by its family name, e.g. `request_seconds{route="/"}`.'),
          quantile,
          window,
          source,
          op,
          threshold,
          by,
        })
        .meta({
          title: 'quantile',
          description: 'A latency quantile: `histogram_quantile(q, sum by (le) (rate(x_bucket[window]))) > threshold`.',
        }),
      z
        .strictObject({
          kind: z.literal('ratio'),
          selector: selector('The numerator counter, e.g. `calls_total{status="error"}`.'),
          denominator: selector('The denominator counter, e.g. `calls_total`.'),
          window,
          op,
          threshold,
          by,
        })
        .meta({
          title: 'ratio',
          description: 'An error ratio: `sum(rate(selector[window])) / sum(rate(denominator[window])) > threshold`.',
        }),
      z
        .strictObject({ kind: z.literal('absent'), selector: selector('Fires while no series matches: `absent(selector)`.') })
        .meta({ title: 'absent', description: 'Absence of data: fires while nothing matches the selector.' }),
      z
        .strictObject({
          kind: z.literal('regression'),
          selector: selector('What is measured: a histogram family (quantile, mean) or a counter (rate).'),
          measure: MeasureSchema.default('quantile'),
          quantile: quantile.default(0.9),
          window,
          baseline: duration('The baseline window, immediately before the current one.'),
          tolerance: positive('Fires when the current window exceeds the baseline by more than this fraction (0.2 = 20%).').default(0.2),
          direction: z
            .enum(['up', 'down'], { error: 'expected "up" or "down"' })
            .default('up')
            .meta({ description: 'up: fire on an increase (latency); down: on a decrease (throughput).' }),
          by,
        })
        .meta({
          title: 'regression',
          description:
            'Performance regression: a measure over the current window compared with the same measure over a baseline window before it.',
        }),
      z
        .strictObject({
          kind: z.literal('anomaly'),
          selector: selector('What is measured.'),
          measure: MeasureSchema.default('value'),
          quantile: quantile.default(0.9),
          window: window.default('1m'),
          alpha: z
            .number({ error: 'expected a number in (0, 1)' })
            .gt(0, { error: 'expected a number in (0, 1)' })
            .lt(1, { error: 'expected a number in (0, 1)' })
            .default(0.1)
            .meta({ description: 'EWMA smoothing factor: the weight of each new evaluation.' }),
          z: positive('Fires when the value is more than this many (EW) standard deviations from the EW mean.').default(3),
          warmup: int(1, 100_000).default(20).meta({ description: 'Evaluations used only to learn before the rule may fire.' }),
          minStddev: z
            .number({ error: 'expected a number >= 0' })
            .min(0, { error: 'expected a number >= 0' })
            .default(0)
            .meta({ description: 'Floor of the standard deviation, so a flat signal does not make every wiggle an anomaly.' }),
          direction: z
            .enum(['up', 'down', 'both'], { error: 'expected "up", "down" or "both"' })
            .default('both')
            .meta({ description: 'Which side of the band fires.' }),
          by,
        })
        .meta({ title: 'anomaly', description: 'Anomaly detection: an EWMA mean and variance with a z-score band, after a warm-up.' }),
    ],
    { error: 'expected a condition with kind "threshold", "rate", "quantile", "ratio", "absent", "regression" or "anomaly"' },
  )
  .meta({ description: 'What makes the rule active.' });

export const RuleSchema = z
  .strictObject({
    name: z
      .string({ error: 'expected a rule name' })
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a rule name [a-zA-Z_][a-zA-Z0-9_]* (it becomes the alertname label)' })
      .meta({ description: 'The alert name (`alertname` label).' }),
    condition: ConditionSchema,
    for: duration('Active this long before firing (pending until then).', { zero: true }).default(0),
    keepFiringFor: duration('Keep firing this long after the condition clears.', { zero: true }).default(0),
    severity: z
      .enum(['info', 'warning', 'critical'], { error: 'expected "info", "warning" or "critical"' })
      .default('warning')
      .meta({ description: 'Becomes the `severity` label; inhibition compares it.' }),
    labels: z
      .record(labelName, z.string({ error: 'expected a string label value' }))
      .default({})
      .meta({ description: 'Extra labels on the alert.' }),
    annotations: z
      .record(z.string(), template)
      .default({})
      .meta({ description: 'Templated text: `{{ $labels.x }}`, `{{ $value }}`, `{{ $value | humanize }}`, `{{ printf "%.2f" $value }}`.' }),
  })
  .meta({ title: 'rule' });

const pushRetry = {
  timeout: duration('Time allowed for one delivery attempt.').default('10s'),
  maxQueue: int(1, 100_000)
    .default(100)
    .meta({ description: 'Notifications queued while the channel fails; beyond it the oldest is dropped and counted.' }),
  retry: z
    .strictObject({
      initialBackoff: duration('Wait before the first retry.').default('1s'),
      maxBackoff: duration('Upper bound of the doubling backoff.').default('1m'),
      giveUpAfter: duration('Drop (and count) a notification still undelivered after this long.').default('1h'),
    })
    .default({ initialBackoff: '1s', maxBackoff: '1m', giveUpAfter: '1h' })
    .meta({ description: 'Retries with capped exponential backoff.' }),
  sendResolved: z.boolean({ error: 'expected true or false' }).default(true).meta({ description: 'Also notify when alerts resolve.' }),
};

const channelName = z
  .string({ error: 'expected a channel name' })
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, { error: 'expected a channel name of 1-64 [a-zA-Z0-9_.-]' })
  .meta({ description: 'Referenced by routes.' });

const httpUrl = (description: string) =>
  z
    .url({ error: 'expected an http(s) URL' })
    .refine((u) => /^https?:/.test(u), { error: 'expected an http(s) URL' })
    .meta({ description });

export const ChannelSchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('webhook'),
          name: channelName,
          url: httpUrl("Receiver URL; the body is Alertmanager's webhook payload (version 4)."),
          headers: z.record(z.string(), z.string()).default({}).meta({ description: 'Extra HTTP headers (e.g. authorization).' }),
          ...pushRetry,
        })
        .meta({ title: 'webhook', description: 'POSTs Alertmanager-compatible JSON.' }),
      z
        .strictObject({
          type: z.literal('slack'),
          name: channelName,
          url: httpUrl('Slack (or compatible: Mattermost, Rocket.Chat) incoming-webhook URL.'),
          channel: z.string().optional().meta({ description: "Override the webhook's channel." }),
          username: z.string().optional().meta({ description: "Override the poster's name." }),
          ...pushRetry,
        })
        .meta({ title: 'slack', description: 'Posts a message to a Slack-compatible incoming webhook.' }),
      z
        .strictObject({
          type: z.literal('email'),
          name: channelName,
          host: z.string().min(1).meta({ description: 'SMTP server.' }),
          port: int(1, 65535).default(587).meta({ description: 'SMTP port (587 submission, 465 TLS, 25 relay).' }),
          security: z.enum(['starttls', 'tls', 'none'], { error: 'expected "starttls", "tls" or "none"' }).default('starttls').meta({
            description: 'starttls: upgrade after EHLO (required); tls: TLS from the start; none: plain text (loopback relays only).',
          }),
          auth: z
            .strictObject({ username: z.string().min(1), password: z.string().min(1) })
            .optional()
            .meta({ description: 'SMTP AUTH PLAIN credentials.' }),
          from: z.email({ error: 'expected an e-mail address' }).meta({ description: 'Sender address.' }),
          to: z
            .array(z.email({ error: 'expected an e-mail address' }), { error: 'expected a list of addresses' })
            .min(1, { error: 'expected at least one address' })
            .meta({ description: 'Recipients.' }),
          rejectUnauthorized: z.boolean().default(true).meta({ description: 'Verify the server certificate.' }),
          ...pushRetry,
        })
        .meta({ title: 'email', description: "Sends e-mail over SMTP (omnimeter's own client; no extra package)." }),
      z
        .strictObject({
          type: z.literal('console'),
          name: channelName,
          stream: z
            .enum(['stdout', 'stderr'], { error: 'expected "stdout" or "stderr"' })
            .default('stderr')
            .meta({ description: 'Where to write.' }),
          format: z
            .enum(['text', 'json'], { error: 'expected "text" or "json"' })
            .default('text')
            .meta({ description: 'One line per alert, or JSON.' }),
          ...pushRetry,
        })
        .meta({ title: 'console', description: 'Writes notifications to the console or a log stream.' }),
    ],
    { error: 'expected a channel with type "webhook", "slack", "email" or "console"' },
  )
  .meta({ description: 'A notification channel.' });

/** Route settings; sub-routes inherit what they leave out from the root route, which has the defaults. */
const routeFields = {
  groupBy: z
    .array(z.union([labelName, z.literal('...')]), { error: 'expected a list of label names' })
    .meta({ description: 'Alerts with equal values of these labels are notified together ("..." groups by all labels).' }),
  groupWait: duration('Wait before the first notification of a new group, to gather its alerts.', { zero: true }),
  groupInterval: duration('Wait before notifying a group again about changes.'),
  repeatInterval: duration('Re-notify a group that keeps firing unchanged after this long.'),
  escalate: z
    .strictObject({
      after: duration('How long a group fires before it escalates.'),
      channel: channelName,
    })
    .optional()
    .meta({ description: 'Also notify a second channel once a group has fired this long.' }),
};

export const RouteSchema = z
  .strictObject({
    matchers: selector('Which alerts this route takes, e.g. `{severity="critical"}`.', { metric: false }),
    channel: channelName,
    continue: z.boolean().default(false).meta({ description: 'Keep looking for further matching routes.' }),
    groupBy: routeFields.groupBy.optional(),
    groupWait: routeFields.groupWait.optional(),
    groupInterval: routeFields.groupInterval.optional(),
    repeatInterval: routeFields.repeatInterval.optional(),
    escalate: routeFields.escalate,
  })
  .meta({ title: 'route', description: 'A sub-route; unset timings are inherited from the root route.' });

export const SilenceSchema = z
  .strictObject({
    matchers: selector('Alerts it mutes, e.g. `{alertname="DiskFull", host="db1"}`.', { metric: false }),
    startsAt: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time' })
      .optional()
      .meta({ description: 'Default: at start.' }),
    endsAt: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' }).meta({ description: 'When it expires.' }),
    comment: z.string().default('').meta({ description: 'Why.' }),
  })
  .meta({ title: 'silence' });

export const InhibitSchema = z
  .strictObject({
    source: selector('Firing alerts that mute others, e.g. `{severity="critical"}`.', { metric: false }),
    target: selector('Alerts muted, e.g. `{severity="warning"}`.', { metric: false }),
    equal: z.array(labelName).default([]).meta({ description: 'Labels whose values must be equal in source and target.' }),
  })
  .meta({ title: 'inhibit' });

export const AlertingSchema = z
  .strictObject({
    enabled: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .meta({ description: 'Evaluate rules and notify. Off by default.' }),
    evaluationInterval: duration('How often rules are evaluated.').default('15s'),
    externalUrl: z.string().default('').meta({ description: 'Base URL put in notifications (Alertmanager `externalURL`).' }),
    rules: z.array(RuleSchema, { error: 'expected a list of rules' }).default([]).meta({ description: 'Alerting rules.' }),
    channels: z.array(ChannelSchema, { error: 'expected a list of channels' }).default([]).meta({ description: 'Where notifications go.' }),
    route: z
      .strictObject({
        channel: channelName.optional().meta({ description: 'Default channel; without one, alerts no route takes are not notified.' }),
        groupBy: routeFields.groupBy.default(['alertname']),
        groupWait: routeFields.groupWait.default('30s'),
        groupInterval: routeFields.groupInterval.default('5m'),
        repeatInterval: routeFields.repeatInterval.default('4h'),
        escalate: routeFields.escalate,
        routes: z.array(RouteSchema).default([]).meta({ description: 'Sub-routes, first match wins (unless `continue`).' }),
      })
      .default({ groupBy: ['alertname'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h', routes: [] })
      .meta({ description: 'Routing tree: grouping, timing, escalation.' }),
    silences: z
      .array(SilenceSchema)
      .default([])
      .meta({ description: 'Silences set from the configuration (more can be added at runtime).' }),
    inhibit: z.array(InhibitSchema).default([]).meta({ description: 'Inhibition: a firing source alert mutes matching target alerts.' }),
  })
  .superRefine((alerting, ctx) => {
    const names = new Set<string>();
    alerting.channels.forEach((c, i) => {
      if (names.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `duplicate channel name "${c.name}"`, input: c.name });
      names.add(c.name);
    });
    const known = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !names.has(name))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `expected the name of a configured channel (${[...names].join(', ') || 'none configured'})`,
          input: name,
        });
    };
    known(alerting.route.channel, ['route', 'channel']);
    known(alerting.route.escalate?.channel, ['route', 'escalate', 'channel']);
    alerting.route.routes.forEach((r, i) => {
      known(r.channel, ['route', 'routes', i, 'channel']);
      known(r.escalate?.channel, ['route', 'routes', i, 'escalate', 'channel']);
    });
    const rules = new Set<string>();
    alerting.rules.forEach((r, i) => {
      if (rules.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${r.name}"`, input: r.name });
      rules.add(r.name);
    });
  })
  .meta({ description: 'Alerting rules evaluated in process, notification channels and routing (docs/health-and-alerting.md).' });

export type AlertingConfig = z.output<typeof AlertingSchema>;
export type RuleConfig = z.output<typeof RuleSchema>;
export type ConditionConfig = z.output<typeof ConditionSchema>;
export type ChannelConfig = z.output<typeof ChannelSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type SilenceConfig = z.output<typeof SilenceSchema>;
export type InhibitConfig = z.output<typeof InhibitSchema>;
