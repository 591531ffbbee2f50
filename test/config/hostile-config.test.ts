/** Configuration input that used to hang, bind the wrong port or crash (issue 10). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ConfigError } from '../../src/config/errors.js';
import { applyEnvironment, loadConfig, readConfigFile } from '../../src/config/load.js';

const dir = () => mkdtempSync(join(tmpdir(), 'omnimeter-hostile-config-'));

function sink() {
  const s = { text: '', write: (t: string) => ((s.text += t), true) };
  return s;
}

describe('hostile configuration input', () => {
  it('refuses a FIFO as the config file instead of blocking on it (the demo hung)', async () => {
    const fifo = join(dir(), 'omnimeter.config.json');
    execFileSync('mkfifo', [fifo]);
    expect(() => readConfigFile(fifo)).toThrowError(ConfigError);
    expect(() => loadConfig({ path: fifo, env: {} })).toThrowError(/not a regular file/);
    const err = sink();
    const previous = process.env.OMNIMETER_CONFIG;
    process.env.OMNIMETER_CONFIG = fifo;
    try {
      expect(await main(['demo'], sink(), err)).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.OMNIMETER_CONFIG;
      else process.env.OMNIMETER_CONFIG = previous;
    }
    expect(err.text).toBe(
      `omnimeter demo: invalid configuration (${fifo})\n  not a regular file (a FIFO, device or directory cannot be read as a configuration)\n`,
    );
  });

  it('refuses a directory and a file over 1 MiB', () => {
    const d = dir();
    expect(() => readConfigFile(d)).toThrowError(/not a regular file/);
    const big = join(d, 'big.json');
    writeFileSync(big, `{"prefix": "${'a'.repeat(2 * 1024 * 1024)}"}`);
    expect(() => readConfigFile(big)).toThrowError(/larger than 1048576 bytes/);
  });

  it.each(['1e3', '0x50', ' 80', '80.0', '+80', '8e1', '080000', ''])(
    'OMNIMETER_PORT=%j is refused, never read as another number',
    (text) => {
      for (const variable of ['OMNIMETER_PORT', 'OMNIMETER_PROMETHEUS_PORT']) {
        if (text === '')
          expect(applyEnvironment({}, { [variable]: text }).exporters).toBeUndefined(); // unset
        else
          expect(() => applyEnvironment({}, { [variable]: text }), `${variable}=${text}`).toThrowError(
            `${variable}: expected an integer 1-65535, got ${JSON.stringify(text)}`,
          );
      }
      // A valid port moves the configured Prometheus endpoint (it never adds one).
      expect(applyEnvironment({ exporters: [{ type: 'prometheus' }] }, { OMNIMETER_PROMETHEUS_PORT: '9100' }).exporters).toEqual([
        { type: 'prometheus', port: 9100 },
      ]);
    },
  );

  it('prints configuration errors of demo and run as the path and value, without a stack trace', async () => {
    const file = join(dir(), 'bad.json');
    writeFileSync(file, '{"enabled": true, "exporters": [{"type": "prometheus", "port": "x"}]}');
    const err = sink();
    const component = new URL('../../.cache/wasm/cpu-tool/cpu-tool.component.wasm', import.meta.url).pathname; // npm run build:wasm
    expect(await main(['run', component, '--config', file, '--once'], sink(), err)).toBe(1);
    expect(err.text).not.toMatch(/\n\s+at /);
    expect(err.text).toContain('exporters[0].port: expected an integer 1-65535, got "x"');
  });
});
