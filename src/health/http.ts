/**
 * How /healthz and /readyz answer, independent of any HTTP library:
 * 503 when the report is unhealthy, 200 otherwise (degraded included, with
 * its reasons in the body). JSON when asked for (`Accept: application/json`
 * or `?format=json`), else readable text; never cached.
 */
import type { HealthReport, Scope } from './registry.js';

export interface HealthResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function healthResponse(report: HealthReport, scope: Scope, wantJson: boolean): HealthResponse {
  const status = report.status === 'unhealthy' ? 503 : 200;
  const headers = { 'cache-control': 'no-store' };
  if (wantJson)
    return {
      status,
      headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
      body: `${JSON.stringify({ scope, status: report.status, ...(report.note ? { note: report.note } : {}), time: new Date(report.time).toISOString(), checks: report.checks })}\n`,
    };
  const word = scope === 'readiness' ? (status === 200 ? 'ready' : 'not ready') : status === 200 ? 'alive' : 'not alive';
  const lines = [`${word}: ${report.status}`];
  if (report.note) lines.push(`note: ${report.note}`);
  for (const c of report.checks)
    lines.push(`${c.status.padEnd(9)} ${c.name}${c.critical ? '' : ' (non-critical)'}${c.reason ? `: ${c.reason}` : ''}`);
  return { status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: `${lines.join('\n')}\n` };
}

/** Whether the client asked for JSON. */
export function wantsJson(accept: string | undefined | null, format: string | null): boolean {
  if (format === 'json') return true;
  if (format === 'text') return false;
  return /\bapplication\/json\b/.test(accept ?? '');
}
