import type { ExpositionFormat } from '../api/metrics.js';

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...rawParams] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const p of rawParams) {
        const eq = p.indexOf('=');
        if (eq > 0)
          params.set(
            p.slice(0, eq).trim().toLowerCase(),
            p
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
          );
      }
      const q = Number(params.get('q') ?? '1');
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type && r.q > 0);
}

/**
 * Picks the exposition format from an Accept header. OpenMetrics only when
 * the client asks for it (version 1.0.0 or unversioned) at least as strongly
 * as for text; anything else, including no header, gets the 0.0.4 text
 * format every Prometheus version reads.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  let openMetricsQ = 0;
  let textQ = 0;
  for (const range of parseAccept(accept)) {
    if (range.type === 'application/openmetrics-text') {
      const version = range.params.get('version');
      if (version === undefined || version === '1.0.0') openMetricsQ = Math.max(openMetricsQ, range.q);
    } else if (range.type === 'text/plain' || range.type === 'text/*' || range.type === '*/*') {
      textQ = Math.max(textQ, range.q);
    }
  }
  return openMetricsQ > 0 && openMetricsQ >= textQ ? 'openmetrics' : 'prometheus';
}

/**
 * Whether the client prefers the Prometheus protobuf exposition (delimited
 * MetricFamily messages), as Prometheus does with native histograms on: it
 * must be asked for by its full media type at least as strongly as any text format.
 */
export function prefersProtobuf(accept: string | undefined): boolean {
  if (!accept) return false;
  let protobufQ = 0;
  let otherQ = 0;
  for (const range of parseAccept(accept)) {
    if (
      range.type === 'application/vnd.google.protobuf' &&
      range.params.get('proto') === 'io.prometheus.client.MetricFamily' &&
      range.params.get('encoding') === 'delimited'
    )
      protobufQ = Math.max(protobufQ, range.q);
    else if (range.type !== 'application/vnd.google.protobuf') otherQ = Math.max(otherQ, range.q);
  }
  return protobufQ > 0 && protobufQ >= otherQ;
}

/** Whether an Accept-Encoding header allows gzip. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return parseAccept(acceptEncoding).some((r) => r.type === 'gzip' || r.type === '*');
}
