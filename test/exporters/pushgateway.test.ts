import { afterEach, expect, it } from 'vitest';
import { groupUrl } from '../../src/exporters/pushgateway.js';
import { createMetrics } from '../../src/node/index.js';
import { type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';
import { describeWithTools } from '../support/tools.js';

describeWithTools(['pushgateway'], 'pushgateway exporter against a real Pushgateway', () => {
  let gateway: PushgatewayServer | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it("replaces the job's group with every family, grouping labels with / in them base64-encoded", async () => {
    gateway = await startPushgateway();
    const config = { url: gateway.url, job: 'nightly-backup', grouping: { instance: 'db/primary', shard: '3' } };
    expect(groupUrl(config)).toBe(`${gateway.url}/metrics/job/nightly-backup/instance@base64/ZGIvcHJpbWFyeQ==/shard/3`);
    const metrics = createMetrics({ collectionInterval: '1h', exporters: [{ type: 'pushgateway', ...config }] });
    metrics.counter('backup_bytes_total', { help: 'b' }).inc(1024);
    metrics.gauge('backup_last_success_seconds', { help: 'l' }).set(1_700_000_000);
    const h = metrics.histogram('backup_duration_seconds', { help: 'd', buckets: [10, 60] });
    h.observe(42);
    metrics.summary('chunk_bytes', { help: 'c', quantiles: [0.5] }).observe(300);
    await metrics.flush();
    const text = await gateway.metrics();
    const group = 'instance="db/primary",job="nightly-backup",shard="3"';
    expect(text).toContain(`backup_bytes_total{${group}} 1024\n`);
    expect(text).toContain(`backup_last_success_seconds{${group}} 1.7e+09\n`);
    expect(text).toContain(`backup_duration_seconds_bucket{${group},le="60"} 1\n`);
    expect(text).toContain(`backup_duration_seconds_sum{${group}} 42\n`);
    expect(text).toMatch(new RegExp(`chunk_bytes\\{${group.replace(/[/]/g, '\\/')},quantile="0.5"\\} 30\\d`));
    expect(text).toMatch(/push_time_seconds\{instance="db\/primary",job="nightly-backup",shard="3"\} \d/);
    await metrics.shutdown();
  });

  it('deletes its group at shutdown when asked; a refused push (4xx) is dropped, not retried', async () => {
    gateway = await startPushgateway();
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [{ type: 'pushgateway', url: gateway.url, job: 'cleanup', deleteOnShutdown: true }],
    });
    metrics.gauge('rows_deleted', { help: 'r' }).set(12);
    await metrics.flush();
    expect(await gateway.metrics()).toContain('rows_deleted{instance="",job="cleanup"} 12\n');
    // Another group holds `shared` as a counter: a gauge of that name is inconsistent, and the gateway answers 400.
    const other = await fetch(`${gateway.url}/metrics/job/other`, { method: 'PUT', body: '# TYPE shared counter\nshared 1\n' });
    expect(other.status).toBe(200);
    metrics.gauge('shared', { help: 'b' }).set(1);
    await metrics.flush();
    expect(await metrics.registry.expose()).toMatch(/omnimeter_exporter_dropped_total\{exporter="pushgateway"\} 1\n/);
    await metrics.shutdown();
    expect(await gateway.metrics()).not.toContain('job="cleanup"');
  });
});
