/**
 * Documentation generated from the schemas, so it cannot drift from the
 * code: `npm run docs` writes it, a test fails when the committed copy differs.
 */
import * as z from 'zod';
import { MetricsConfigSchema } from './schema.js';
import { SnapshotSchema } from './snapshot-schema.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
};

export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(MetricsConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

export function snapshotJsonSchema(): JsonSchema {
  return z.toJSONSchema(SnapshotSchema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeOf).join(' \\| ');
  if (s.type === 'array') return s.items?.anyOf || s.items?.oneOf ? 'list (variants below)' : `${s.items ? typeOf(s.items) : 'any'}[]`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties)
    return `map of ${typeOf(s.additionalProperties)}`;
  const low = s.minimum ?? s.exclusiveMinimum;
  const high = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  const range =
    high !== undefined ? ` (${low ?? ''}–${high})` : low !== undefined ? ` (${s.exclusiveMinimum !== undefined ? '>' : '>='} ${low})` : '';
  return `${Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any')}${range}`;
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const def = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
    out.push(`| \`${path}\` | ${typeOf(prop)} | ${def} | ${(prop.description ?? '').replace(/\|/g, '\\|')} |`);
    if (prop.properties && key !== 'retry') rows(prop, path, out);
  }
}

export function configurationMarkdown(): string {
  const schema = configJsonSchema();
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Metrics are configured by `createMetrics(config)` or a file: `omnimeter.config.json`, `omnimeter.config.yaml`',
    '(or `.yml`) in the working directory, or the file named by `OMNIMETER_CONFIG`. Check a file with',
    '`npx omnimeter validate-config <file>`; editors complete it from [config.schema.json](config.schema.json)',
    '(`"$schema": "./node_modules/omnimeter/docs/config.schema.json"`).',
    '',
    'A file is inert until it says `"enabled": true`; `createMetrics()` called from code defaults to enabled.',
    'Environment overrides, whatever the source of the configuration: `OMNIMETER_ENABLED` (`true`/`false`/`1`/`0`)',
    'and `OMNIMETER_PORT` (long form `OMNIMETER_PROMETHEUS_PORT`): the port of every Prometheus exporter',
    'and the default of `serve()`; it never adds an endpoint the configuration did not ask for.',
    '',
    'Durations are seconds (a number) or strings such as `"500ms"`, `"10s"`, `"1m"`, `"1h"`.',
    '',
    '## Top level',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
  ];
  rows(schema, '', out);
  const exporters = schema.properties!.exporters!.items!;
  for (const variant of exporters.oneOf ?? exporters.anyOf ?? []) {
    out.push(
      '',
      `## Exporter \`${String(variant.properties?.type?.const)}\``,
      '',
      variant.description ?? '',
      '',
      '| key | type | default | description |',
      '|---|---|---|---|',
    );
    rows(variant, '', out);
  }
  const filters = schema.properties!.filters!.items!;
  out.push('', '## Filters', '', filters.description ?? '', '');
  for (const variant of filters.anyOf ?? filters.oneOf ?? [])
    out.push(
      `- \`${Object.keys(variant.properties ?? {}).join(', ')}\`: ${Object.values(variant.properties ?? {})[0]?.description ?? 'see the schema'}`,
    );
  out.push('', '## Components (`components.<name>`)', '', '| key | type | default | description |', '|---|---|---|---|');
  rows(schema.properties!.components!.additionalProperties as JsonSchema, '', out);
  healthAndAlertingSections(schema, out);
  return `${out.join('\n')}\n`;
}

function table(out: string[], heading: string, s: JsonSchema): void {
  out.push('', heading, '', ...(s.description ? [s.description, ''] : []), '| key | type | default | description |', '|---|---|---|---|');
  rows(s, '', out);
}

/** List items of the health and alerting sections: rules, their condition kinds, channels, routes, silences, inhibition, SLO checks. */
function healthAndAlertingSections(schema: JsonSchema, out: string[]): void {
  const alerting = schema.properties!.alerting!;
  const health = schema.properties!.health!;
  const rule = alerting.properties!.rules!.items!;
  table(out, '## Alerting rules (`alerting.rules[]`)', rule);
  const condition = rule.properties!.condition!;
  for (const variant of condition.oneOf ?? condition.anyOf ?? [])
    table(out, `### Condition \`${String(variant.properties?.kind?.const)}\``, variant);
  const channels = alerting.properties!.channels!.items!;
  for (const variant of channels.oneOf ?? channels.anyOf ?? [])
    table(out, `## Alert channel \`${String(variant.properties?.type?.const)}\``, variant);
  table(out, '## Routes (`alerting.route.routes[]`)', alerting.properties!.route!.properties!.routes!.items!);
  table(out, '## Silences (`alerting.silences[]`)', alerting.properties!.silences!.items!);
  table(out, '## Inhibition (`alerting.inhibit[]`)', alerting.properties!.inhibit!.items!);
  table(out, '## SLO checks (`health.slo[]`)', health.properties!.slo!.items!);
}
