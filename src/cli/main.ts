#!/usr/bin/env node
/**
 * The `omnimeter` command.
 *   omnimeter validate-config <file>   check a configuration file; exit 1 on errors
 *   omnimeter demo                     the `npm start` demo
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.js';
import { parseConfig, readConfigFile } from '../config/load.js';

const USAGE = `usage:
  omnimeter run <component.wasm> [--invoke <export> [--args <a> ...]] [--repeat <n>] [--instances <n>] [--config <file>] [--once]
                                     run a component under the metrics host and serve /metrics
  omnimeter validate-config <file>   check a JSON or YAML configuration; exit status 1 if invalid
  omnimeter demo                     the live demo (npm start): the example components as the tools
                                     of a simulated tool server, on embedded defaults or OMNIMETER_CONFIG`;

export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'validate-config') {
    const file = args[0];
    if (!file || args.length > 1) {
      err.write(`${USAGE}\n`);
      return 2;
    }
    try {
      const config = parseConfig(readConfigFile(file), file);
      out.write(
        `${file}: valid (${config.enabled ? 'enabled' : 'disabled'}, ${config.exporters.length} exporter(s): ${config.exporters.map((e) => e.type).join(', ') || 'none'})\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof ConfigError) {
        err.write(`${file}: invalid configuration\n${error.issues.map((i) => `  ${i}`).join('\n')}\n`);
        return 1;
      }
      err.write(`${file}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  if (command === 'run') {
    const { parseRunArgs, runComponent } = await import('./run.js');
    let options: ReturnType<typeof parseRunArgs>;
    try {
      options = parseRunArgs(args);
    } catch (error) {
      err.write(`${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const running = await runComponent(options);
    const show = (v: unknown) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v));
    if (options.invoke) out.write(`${options.invoke} -> ${running.results.map(show).join(', ')}\n`);
    for (const e of running.metrics.config.exporters)
      if (e.type === 'prometheus') out.write(`metrics: http://${e.host}:${e.port}${e.path}\n`);
    if (options.once) {
      await running.stop();
      return 0;
    }
    out.write('serving; Ctrl-C flushes and stops\n');
    const stop = () => void running.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return -1;
  }
  if (command === 'demo') {
    await import('./demo.js').then((m) => m.runDemo());
    return -1; // keeps running
  }
  err.write(`${USAGE}\n`);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
}
