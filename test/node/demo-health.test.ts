/**
 * The npm start demo's health and alerting: an incident raises the error
 * ratio (HighToolErrorRatio fires) and traps the flaky tool, and the demo's
 * own endpoint answers /readyz 503 naming the component and when its host
 * will re-instantiate it; the host does, readiness is back, and health did
 * not re-instantiate it a second time.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG, startDemo } from '../../src/cli/demo.js';
import { DEMO_HEALTH_ALERTING } from '../../src/cli/demo-incidents.js';
import { freePort } from '../support/ports.js';

const until = async (check: () => Promise<boolean> | boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('npm start demo: health and alerting', () => {
  it('an incident fires the error-ratio rule and a trapped component makes /readyz 503', async () => {
    const port = await freePort();
    const alerting = DEMO_HEALTH_ALERTING.alerting!;
    const rule = alerting.rules![0]!;
    const lines: string[] = [];
    const demo = await startDemo({
      rate: 100,
      log: (l) => lines.push(l),
      incidents: { firstAfterMs: 1500, cycleMs: 600_000, incidentMs: 600_000 },
      componentRecovery: { initialDelayMs: 4000 },
      config: {
        ...DEMO_CONFIG,
        exporters: [{ type: 'prometheus', port }],
        health: { ...DEMO_HEALTH_ALERTING.health, interval: '500ms', cache: '100ms' },
        alerting: {
          ...alerting,
          evaluationInterval: '500ms',
          channels: [{ type: 'console', name: 'console', stream: 'stderr' }],
          rules: [{ ...rule, for: '1s', condition: { ...(rule.condition as object), window: '3s' } as never }],
        },
      },
    });
    try {
      const readyz = () => fetch(`http://127.0.0.1:${port}/readyz`);
      expect((await readyz()).status).toBe(200);
      await until(async () => (await readyz()).status === 503);
      expect(await (await readyz()).text()).toMatch(
        /unhealthy component:hostile: instance\(s\) demo trapped and are isolated: demo stopped \(trap: .*\); the host re-instantiates it in \d+ s/,
      );
      await until(() => demo.metrics.alerting!.alerts().some((a) => a.rule === 'HighToolErrorRatio' && a.state === 'firing'));
      await until(() => lines.some((l) => /^alert HighToolErrorRatio\{tool_name=.*\}: pending → firing/.test(l)));
      expect(lines.some((l) => l.startsWith('readiness: NOT READY (503)'))).toBe(true);
      await until(async () => (await readyz()).status === 200); // the host re-instantiated the tool
      const scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(scrape).toMatch(/omnimeter_wasm_recoveries_total\{[^}]*component="hostile"[^}]*\} 1$/m);
      expect(scrape).not.toMatch(/omnimeter_health_recovery_attempts_total\{check="component:hostile"\}/);
    } finally {
      await demo.stop();
    }
  });
});
