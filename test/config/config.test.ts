import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { main } from '../../src/cli/main.js';
import { configJsonSchema, configurationMarkdown, snapshotJsonSchema } from '../../src/config/docs.js';
import { compileFilters } from '../../src/config/filters.js';
import { globToRegExp } from '../../src/exposition/name-patterns.js';
import { applyEnvironment } from '../../src/config/load.js';
import { freePort } from '../support/ports.js';
import { ConfigError, createMetrics, loadConfig, parseConfig } from '../../src/node/index.js';

const issuesOf = (input: unknown): readonly string[] => {
  try {
    parseConfig(input, 'test');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('config was accepted');
};

describe('configuration errors name the path, the value and what was expected', () => {
  it.each([
    [{ exporters: [{ type: 'prometheus' }, { type: 'statsd', port: 'abc' }] }, 'exporters[1].port: expected an integer 1-65535, got "abc"'],
    [{ exporters: [{ type: 'statsd', port: 70000 }] }, 'exporters[0].port: expected an integer 1-65535, got 70000'],
    [
      { exporters: [{ type: 'kafka' }] },
      'exporters[0].type: expected an exporter with type "prometheus", "statsd", "json", "console", "otlp", "remote-write" or "pushgateway", got "kafka"',
    ],
    [
      { exporters: [{}] },
      'exporters[0].type: expected an exporter with type "prometheus", "statsd", "json", "console", "otlp", "remote-write" or "pushgateway", got nothing',
    ],
    [{ exporters: [{ type: 'statsd', prot: 'udp' }] }, 'exporters[0].prot: unknown key'],
    [{ exportrs: [] }, 'exportrs: unknown key'],
    [{ exporters: { type: 'json' } }, 'exporters: expected a list of exporters, got {"type":"json"}'],
    [{ exporters: [{ type: 'statsd', protocol: 'quic' }] }, 'exporters[0].protocol: expected "udp" or "tcp", got "quic"'],
    [
      { exporters: [{ type: 'statsd', flavor: 'graphite' }] },
      'exporters[0].flavor: expected "etsy", "dogstatsd" or "telegraf", got "graphite"',
    ],
    [{ exporters: [{ type: 'statsd', mtu: 10 }] }, 'exporters[0].mtu: expected an integer 64-65507, got 10'],
    [{ exporters: [{ type: 'json' }] }, 'exporters[0].path: expected a file path, got nothing'],
    [{ exporters: [{ type: 'json', path: 'x', mode: 'csv' }] }, 'exporters[0].mode: expected "snapshot" or "ndjson", got "csv"'],
    [{ exporters: [{ type: 'console', format: 'xml' }] }, 'exporters[0].format: expected "table", "logfmt" or "json", got "xml"'],
    [
      { exporters: [{ type: 'otlp', endpoint: 'ftp://collector' }] },
      'exporters[0].endpoint: expected an http(s) URL, got "ftp://collector"',
    ],
    [{ exporters: [{ type: 'otlp', temporality: 'both' }] }, 'exporters[0].temporality: expected "cumulative" or "delta", got "both"'],
    [
      { exporters: [{ type: 'prometheus', format: 'protobuf' }] },
      'exporters[0].format: expected "auto", "prometheus" or "openmetrics", got "protobuf"',
    ],
    [
      { exporters: [{ type: 'prometheus', auth: { token: 'x' } }] },
      'exporters[0].auth: expected { bearerToken } or { username, password }, got {"token":"x"}',
    ],
    [
      { exporters: [{ type: 'statsd', retry: { maxBackoff: 'never' } }] },
      'exporters[0].retry.maxBackoff: expected a positive duration: seconds as a number, or "500ms", "10s", "1m", "1h", got "never"',
    ],
    [{ enabled: 'yes' }, 'enabled: expected true or false, got "yes"'],
    [
      { collectionInterval: -5 },
      'collectionInterval: expected a positive duration: seconds as a number, or "500ms", "10s", "1m", "1h", got -5',
    ],
    [{ samplingRate: 0 }, 'samplingRate: expected a number in (0, 1], got 0'],
    [{ prefix: '9lives' }, 'prefix: expected a metric name prefix [a-zA-Z_:][a-zA-Z0-9_:./-]*, got "9lives"'],
    [
      { defaultLabels: { 'bad name': 'x' } },
      'defaultLabels.bad name: key "bad name": expected a label name or attribute key [a-zA-Z_][a-zA-Z0-9_./-]*',
    ],
    [{ defaultLabels: { ok: 5 } }, 'defaultLabels.ok: expected a string label value, got 5'],
    [{ retention: { maxSeries: 0 } }, 'retention.maxSeries: expected an integer >= 1, got 0'],
    [{ mode: 'loose' }, 'mode: expected "strict" or "lenient", got "loose"'],
    [
      { filters: [{ rename: { pattern: '(', replacement: 'x' } }] },
      'filters[0].rename.pattern: expected a valid regular expression, got "("',
    ],
    [
      { filters: [{ allow: 'x' }] },
      'filters[0]: expected one of { accept }, { deny }, { rename: { pattern, replacement } }, { commonLabels }, got {"allow":"x"}',
    ],
    [{ components: { tool: { samplingRate: 3 } } }, 'components.tool.samplingRate: expected a number in (0, 1], got 3'],
    [{ components: { tool: { enabld: true } } }, 'components.tool.enabld: unknown key'],
    ['enabled: true', '(root): expected object, got "enabled: true"'],
  ])('%j', (input, message) => {
    expect(issuesOf(input)).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(issuesOf({ enabled: 1, exporters: [{ type: 'statsd', port: 0 }, { type: 'json' }] })).toHaveLength(3);
  });

  it('fills in documented defaults: disabled, 10 s interval, no exporters', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      enabled: false,
      collectionInterval: '10s',
      exporters: [],
      retention: { maxSeries: 2000 },
      samplingRate: 1,
    });
    expect(parseConfig({ exporters: [{ type: 'prometheus' }] }).exporters[0]).toEqual({
      type: 'prometheus',
      host: '127.0.0.1',
      port: 9464,
      path: '/metrics',
      format: 'auto',
      timeouts: { headers: '10s', request: '30s', keepAlive: '5s', idle: '60s' },
      maxConcurrentScrapes: 256,
    });
    expect(parseConfig({}).shutdownTimeout).toBe('10s');
  });
});

describe('loading', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'omnimeter-config-'));

  it('reads omnimeter.config.yaml from the working directory and OMNIMETER_CONFIG from the environment', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'omnimeter.config.yaml'), 'enabled: true\nexporters:\n  - type: statsd\n    port: 9125\n');
    expect(loadConfig({ cwd, env: {} })).toMatchObject({ enabled: true, exporters: [{ type: 'statsd', port: 9125 }] });
    const other = join(dir(), 'custom.json');
    writeFileSync(other, JSON.stringify({ enabled: true, prefix: 'x_' }));
    expect(loadConfig({ cwd, env: { OMNIMETER_CONFIG: other } }).prefix).toBe('x_');
  });

  it('is disabled without a file', () => {
    expect(loadConfig({ cwd: dir(), env: {} }).enabled).toBe(false);
  });

  it('applies OMNIMETER_ENABLED and OMNIMETER_PROMETHEUS_PORT, and rejects bad values', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'omnimeter.config.json'), JSON.stringify({ exporters: [{ type: 'prometheus', port: 9000 }] }));
    const config = loadConfig({ cwd, env: { OMNIMETER_ENABLED: 'true', OMNIMETER_PROMETHEUS_PORT: '9999' } });
    expect(config.enabled).toBe(true);
    expect(config.exporters[0]).toMatchObject({ type: 'prometheus', port: 9999 });
    expect(() => loadConfig({ cwd, env: { OMNIMETER_ENABLED: 'maybe' } })).toThrow(
      'OMNIMETER_ENABLED: expected true, false, 1 or 0, got "maybe"',
    );
    expect(() => loadConfig({ cwd, env: { OMNIMETER_PROMETHEUS_PORT: 'abc' } })).toThrow(
      'OMNIMETER_PROMETHEUS_PORT: expected an integer 1-65535, got "abc"',
    );
  });

  it('applies OMNIMETER_PORT over a config file, and refuses it disagreeing with OMNIMETER_PROMETHEUS_PORT', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'omnimeter.config.yaml'),
      'enabled: true\nexporters:\n  - type: prometheus\n    port: 9000\n  - type: console\n',
    );
    expect(loadConfig({ cwd, env: { OMNIMETER_PORT: '9465' } }).exporters[0]).toMatchObject({ type: 'prometheus', port: 9465 });
    expect(loadConfig({ cwd, env: { OMNIMETER_PORT: '9465', OMNIMETER_PROMETHEUS_PORT: '9465' } }).exporters[0]).toMatchObject({
      port: 9465,
    });
    expect(() => loadConfig({ cwd, env: { OMNIMETER_PORT: '9465', OMNIMETER_PROMETHEUS_PORT: '9466' } })).toThrow(
      'OMNIMETER_PORT and OMNIMETER_PROMETHEUS_PORT: both set, to different values ("9465", "9466"); set one',
    );
    expect(() => loadConfig({ cwd, env: { OMNIMETER_PORT: '0' } })).toThrow('OMNIMETER_PORT: expected an integer 1-65535, got "0"');
    // It moves configured endpoints; it never opens one the configuration did not ask for.
    expect(
      parseConfig(applyEnvironment({ exporters: [{ type: 'console' }] }, { OMNIMETER_PORT: '9465' })).exporters.map((e) => e.type),
    ).toEqual(['console']);
  });

  it('makes OMNIMETER_PORT the default port of serve(); a port passed in code wins', async () => {
    const port = await freePort();
    const metrics = createMetrics({}, { OMNIMETER_PORT: String(port) });
    try {
      expect((await metrics.serve()).port).toBe(port);
      expect((await metrics.serve({ port: 0 })).port).not.toBe(port);
    } finally {
      await metrics.shutdown();
    }
  });

  it('names the file when it does not parse', () => {
    const path = join(dir(), 'broken.yaml');
    writeFileSync(path, 'enabled: [unclosed\n');
    expect(() => loadConfig({ path, env: {} })).toThrow(/broken\.yaml.*cannot parse YAML/s);
  });
});

describe('createMetrics(config)', () => {
  it('never half-starts: an invalid exporter keeps a valid Prometheus endpoint from opening', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    expect(() =>
      createMetrics(
        {
          exporters: [
            { type: 'prometheus', port },
            { type: 'statsd', port: -1 },
          ],
        },
        {},
      ),
    ).toThrow(ConfigError);
    // The port is still free: nothing was bound.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('opens nothing and records nothing when disabled', async () => {
    const metrics = createMetrics({ enabled: false, exporters: [{ type: 'prometheus', port: 1 }] }, {});
    await metrics.ready();
    metrics.counter('x_total', { help: 'x' }).inc();
    expect(await metrics.registry.collect()).toEqual([]);
    await metrics.shutdown();
  });

  it('lets OMNIMETER_ENABLED=false switch off code-configured metrics', () => {
    expect(createMetrics({}, { OMNIMETER_ENABLED: 'false' }).enabled).toBe(false);
    expect(createMetrics({}, {}).enabled).toBe(true);
  });

  it('applies filters in order: first accept/deny wins, renames chain, common labels merge', async () => {
    const { filter } = compileFilters([
      { rename: { pattern: 'legacy_(.*)', replacement: 'app_$1' } },
      { accept: 'app_keep_*' },
      { deny: 'app_*' },
    ]);
    expect(filter!('legacy_keep_me', 'counter')).toBe('app_keep_me');
    expect(filter!('legacy_drop', 'counter')).toBeNull();
    expect(filter!('other', 'counter')).toBe('other');
    const metrics = createMetrics({ filters: [{ deny: 'debug_*' }, { commonLabels: { region: 'eu' } }] }, {});
    metrics.counter('debug_x_total', { help: 'd' }).inc();
    metrics.counter('kept_total', { help: 'k' }).inc();
    const families = await metrics.registry.collect();
    expect(families.map((f) => f.name)).not.toContain('debug_x');
    expect(families.find((f) => f.name === 'kept')!.series[0]!.labels).toContainEqual(['region', 'eu']);
  });
});

describe('filter patterns', () => {
  it('match a metric by the name it was written with and by the names /metrics shows for it', async () => {
    const metrics = createMetrics(
      { filters: [{ deny: 'mcp_server_operation_duration_seconds' }, { deny: 'jobs_done_total' }, { deny: 'queue.*' }] },
      {},
    );
    metrics.histogram('mcp.server.operation.duration', { help: 'd', unit: 's' }).observe(1); // denied by its Prometheus name
    metrics.counter('jobs.done', { help: 'j' }).inc(); // denied by its sample name
    metrics.gauge('queue.depth', { help: 'q' }).set(1); // denied as written
    metrics.histogram('mcp.client.operation.duration', { help: 'd', unit: 's' }).observe(1);
    const text = await metrics.registry.expose('openmetrics');
    expect(text).not.toMatch(/^mcp_server|^jobs|^queue/m);
    expect(text).toMatch(/^mcp_client_operation_duration_seconds_count 1$/m);
  });

  it('treat everything but `*` literally (fast-check)', () => {
    const literal = fc.string({ maxLength: 20 }).filter((s) => !s.includes('*'));
    fc.assert(
      fc.property(literal, fc.string({ minLength: 1, maxLength: 5 }), (s, extra) => {
        const re = globToRegExp(s);
        expect(re.test(s)).toBe(true);
        expect(re.test(s + extra)).toBe(false);
        expect(re.test(extra + s)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(literal, literal, fc.string({ maxLength: 10 }), (head, tail, middle) => {
        expect(globToRegExp(`${head}*${tail}`).test(head + middle + tail)).toBe(true);
      }),
    );
  });
});

describe('omnimeter validate-config', () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const code = await main(args, sink((s) => (out += s)) as never, sink((s) => (err += s)) as never);
    return { code, out, err };
  };

  it('exits 0 for a valid file and 1 with every error for an invalid one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-cli-'));
    writeFileSync(join(dir, 'good.yaml'), 'enabled: true\nexporters:\n  - type: prometheus\n');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ exporters: [{ type: 'statsd', port: 'abc' }], samplingRate: 2 }));
    const good = await run('validate-config', join(dir, 'good.yaml'));
    expect(good.code).toBe(0);
    expect(good.out).toContain('valid (enabled, 1 exporter(s): prometheus)');
    const bad = await run('validate-config', join(dir, 'bad.json'));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('exporters[0].port: expected an integer 1-65535, got "abc"');
    expect(bad.err).toContain('samplingRate: expected a number in (0, 1], got 2');
    expect((await run('validate-config')).code).toBe(2);
  });
});

describe('generated documentation', () => {
  it('docs/config.schema.json, docs/snapshot.schema.json and docs/configuration.md match the schemas (run `npm run docs`)', () => {
    const read = (f: string) => readFileSync(new URL(`../../docs/${f}`, import.meta.url), 'utf8');
    expect(read('config.schema.json')).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    expect(read('snapshot.schema.json')).toBe(`${JSON.stringify(snapshotJsonSchema(), null, 2)}\n`);
    expect(read('configuration.md')).toBe(configurationMarkdown());
  });
});
