/**
 * The Grafana dashboards of docs/grafana/, judged by tools we did not write:
 * each type-checks as `@grafana/schema`'s Dashboard under `tsc --strict` (a
 * broken copy must not), every PromQL expression parses in `promtool check
 * rules`, names only metrics that the MCP example or the sets workload really
 * expose, and returns data from a real Prometheus that scraped both while
 * they served traffic. The scrape configuration of docs/operations.md passes
 * `promtool check config`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { componentDir } from '../support/components.js';
import { freePort } from '../support/ports.js';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const GRAFANA = join(ROOT, 'docs', 'grafana');
const dashboards = readdirSync(GRAFANA)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: readFileSync(join(GRAFANA, file), 'utf8') }));

interface Target {
  expr: string;
}
interface PanelJson {
  title: string;
  targets?: Target[];
}
const queries = dashboards.flatMap(({ file, json }) =>
  ((JSON.parse(json) as { panels: PanelJson[] }).panels ?? []).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${file}: ${p.title}`, expr: t.expr })),
  ),
);

/** `tsc --strict` over `<json> satisfies Dashboard`, one module per dashboard. */
function typecheck(sources: { name: string; json: string }[]) {
  const dir = join(ROOT, '.cache', `dashboards-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const { name, json } of sources)
      writeFileSync(
        join(dir, `${name}.ts`),
        `import type { Dashboard } from '@grafana/schema';\nexport const dashboard = ${json.trim()} satisfies Dashboard;\n`,
      );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          target: 'es2022',
          skipLibCheck: true,
          types: [],
        },
        include: ['*.ts'],
      }),
    );
    return spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('has the four dashboards the docs describe', () => {
  expect(dashboards.map((d) => d.file).sort()).toEqual(['mcp-server.json', 'metric-sets.json', 'omnimeter-health.json', 'wasm-host.json']);
  expect(queries.length).toBeGreaterThan(30);
});

it('each dashboard is a @grafana/schema Dashboard under tsc --strict, and a broken one is not', () => {
  const ok = typecheck(dashboards.map(({ file, json }) => ({ name: file.replace(/\W/g, '_'), json })));
  expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  const broken = dashboards[0]!.json.replace('"schemaVersion": 39', '"schemaVersion": "39"');
  const bad = typecheck([{ name: 'broken', json: broken }]);
  expect(bad.status).not.toBe(0);
  expect(bad.stdout).toContain("Type 'string' is not assignable to type 'number'"); // schemaVersion
});

/** The metric names an expression reads: identifiers outside label matchers, groupings and strings that are not PromQL words. */
function metricNames(expr: string): string[] {
  const words = new Set([
    'sum',
    'by',
    'rate',
    'increase',
    'histogram_quantile',
    'max',
    'min',
    'avg',
    'without',
    'label_replace',
    'on',
    'ignoring',
    'or',
    'and',
    'unless',
  ]);
  const stripped = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...new Set(stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [])].filter((w) => !words.has(w));
}

describeWithTools(['promtool', 'prometheus'], 'dashboard queries', () => {
  it('every expression parses (promtool check rules on a rules file of all of them)', () => {
    const dir = join(ROOT, '.cache', `dashboard-rules-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'rules.yml');
    // YAML is a superset of JSON: the expressions need no YAML quoting of their own.
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it("docs/operations.md's scrape configuration passes promtool check config", () => {
    const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const config = /```yaml[^\n]*\n(# prometheus\.yml\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(config).toContain('scrape_configs:');
    const dir = join(ROOT, '.cache', `dashboard-scrape-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), config!);
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  let prometheus: PrometheusServer;
  const children: ChildProcess[] = [];
  let exposed = new Set<string>();
  let traffic: Promise<void> | undefined;
  let stopTraffic = false;

  function start(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; port: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, script), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = ready.exec(err);
        if (m) resolve({ child, port: Number(m[1]) });
      });
      child.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${err}`)));
    });
  }

  beforeAll(async () => {
    // @ts-expect-error the build script is plain JavaScript
    const { buildDist } = (await import('../../scripts/build.mjs')) as { buildDist: (o: { ifStale: boolean }) => boolean };
    buildDist({ ifStale: true });
    for (const name of ['cpu-tool', 'json-tool', 'demo-script']) await componentDir(name);
    const mcp = await start('examples/mcp-server/main.mjs', ['--port', '0'], /mcp example: http:\/\/127\.0\.0\.1:(\d+)\/mcp/);
    const workloadPort = await freePort();
    await start('examples/sets-workload/main.mjs', ['--port', String(workloadPort)], /sets workload: http:\/\/127\.0\.0\.1:(\d+)/);
    const client = new Client({ name: 'dashboard-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${mcp.port}/mcp`)));
    const drive = async () => {
      await client.callTool({ name: 'fibonacci', arguments: { n: 15 } });
      await client.callTool({ name: 'count_json_values', arguments: { document: '{"a":' } }); // a tool error
      await client.callTool({ name: 'fail', arguments: {} });
      await client.listTools();
    };
    await drive();
    traffic = (async () => {
      while (!stopTraffic) {
        await drive().catch(() => {});
        await sleep(300);
      }
      await client.close();
    })();
    prometheus = await startPrometheus([
      { job: 'mcp-example', port: mcp.port },
      { job: 'sets-workload', port: workloadPort },
    ]);
    for (const port of [mcp.port, workloadPort]) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const line of text.split('\n')) if (line && !line.startsWith('#')) exposed.add(line.split(/[{ ]/)[0]!);
    }
    exposed = new Set([...exposed, ...[...exposed].map((n) => n.replace(/_(bucket|sum|count)$/, ''))]);
    await sleep(4000); // rate() needs two scrapes of the traffic inside its window
  }, 300_000);

  afterAll(async () => {
    stopTraffic = true;
    await traffic;
    await prometheus?.stop();
    for (const child of children) child.kill('SIGTERM');
  });

  it('every expression names only metrics the MCP example or the sets workload expose', () => {
    const unknown = queries.flatMap((q) =>
      metricNames(q.expr)
        .filter((n) => !exposed.has(n))
        .map((n) => `${q.where}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it.each(queries.map((q) => [q.where, q.expr]))('%s returns data: %s', async (_, expr) => {
    let result = await prometheus.query(expr);
    for (let i = 0; result.length === 0 && i < 20; i++) {
      await sleep(500); // a scrape or two later
      result = await prometheus.query(expr);
    }
    expect(result.length).toBeGreaterThan(0);
  });
});
