/**
 * Prometheus Pushgateway, for batch jobs that end before any scrape: each
 * collection is the 0.0.4 text exposition sent to the job's group
 * (`/metrics/job/<job>/<label>/<value>...`). PUT replaces the group, POST
 * only the families pushed. A 4xx is the gateway refusing the content
 * (inconsistent with what other groups pushed): dropped, never retried.
 */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { ExporterConfig } from '../config/schema.js';
import { parseDuration } from '../config/schema.js';
import { CONTENT_TYPES, render } from '../exposition/text.js';
import { checkHttpResponse } from './refused.js';

type PushgatewayConfig = Extract<ExporterConfig, { type: 'pushgateway' }>;

/** base64url, as the Pushgateway reads `<label>@base64/<value>`. */
function base64url(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_');
}

/** One path segment pair: plain when the value allows it, base64url otherwise (a `/`, or empty). */
function segment(name: string, value: string): string {
  if (value === '') return `${name}@base64/=`;
  if (value.includes('/')) return `${name}@base64/${base64url(value)}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/** The group's URL: `<base>/metrics/job/<job>` and the grouping labels in name order. */
export function groupUrl(config: Pick<PushgatewayConfig, 'url' | 'job' | 'grouping'>): string {
  const labels = Object.entries(config.grouping).sort(([a], [b]) => (a < b ? -1 : 1));
  const path = [segment('job', config.job), ...labels.map(([k, v]) => segment(k, v))].join('/');
  return `${config.url.replace(/\/+$/, '')}/metrics/${path}`;
}

export function pushgatewayExporter(config: PushgatewayConfig, name = 'pushgateway'): PushgatewayExporter {
  const timeoutMs = parseDuration(config.timeout)!;
  const url = groupUrl(config);
  const request = async (method: string, body?: string, signal?: AbortSignal) => {
    const response = await fetch(url, {
      method,
      headers: { ...config.headers, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPES.prometheus }) },
      body,
      signal: signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) : AbortSignal.timeout(timeoutMs),
    });
    await checkHttpResponse(response, url);
  };
  return {
    name,
    url,
    async export(batch: ExportBatch, context?: ExportContext) {
      const body = render(batch.families, 'prometheus');
      await request(config.method.toUpperCase(), body, context?.signal);
      return new TextEncoder().encode(body).length;
    },
    async close() {
      if (config.deleteOnShutdown) await request('DELETE').catch(() => undefined); // best effort: the gateway may be gone
    },
  };
}

export interface PushgatewayExporter extends PushExporter {
  /** The group this exporter replaces. */
  readonly url: string;
}
