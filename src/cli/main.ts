/**
 * The `omnimeter` command: one table of subcommands, help on stdout, every
 * failure a non-zero exit with its message printed once (no stack trace
 * for a problem the user can fix). bin.ts runs it; tests call main().
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { parseConfig, readConfigFile } from '../config/load.js';
import { type Out, RUNNING, UsageError } from './command.js';

export { RUNNING } from './command.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[], out: Out, err: Out): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: {
    usage:
      'omnimeter run <component.wasm | folder> [--invoke <export> [--args <a> ...]] [--repeat <n>] [--instances <n>] [--config <file>] [--once]',
    summary: 'run a component under the metrics host and serve /metrics (arguments typed by the export’s WIT signature)',
    run: async (args, out) => (await import('./run.js')).runCommand(args, out),
  },
  'build-guest': {
    usage: 'omnimeter build-guest <guest.ts> --wit <file.wit | folder> [--world <name>] [--name <name>] [--out <dir>] [--force]',
    summary: 'build an AssemblyScript guest into a component (needs assemblyscript and @bytecodealliance/jco)',
    run: async (args, out) => (await import('./build-guest.js')).buildGuestCommand(args, out),
  },
  'validate-config': {
    usage: 'omnimeter validate-config <file>',
    summary: 'check a JSON or YAML configuration; exit status 1 if invalid',
    run: async (args, out, err) => validateConfig(args, out, err),
  },
  alerts: {
    usage: 'omnimeter alerts export <file> [--output <rules.yml>]',
    summary: "write the configuration's alerting rules as a Prometheus rule file (promtool check rules accepts it)",
    run: async (args, out, err) => (await import('./alerts.js')).alertsCommand(args, out, err),
  },
  demo: {
    usage: 'omnimeter demo',
    summary: 'the live demo (npm start): example components as the tools of a simulated tool server',
    run: async () => {
      await (await import('./demo.js')).runDemo();
      return RUNNING;
    },
  },
};

export const USAGE = `usage: omnimeter <command> [options]

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

  omnimeter --help | <command> --help | --version

Environment: OMNIMETER_CONFIG (config file), OMNIMETER_ENABLED, OMNIMETER_PORT (the Prometheus port, whatever the config source).`;

async function validateConfig(args: string[], out: Out, err: Out): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length) throw new UsageError(file ? `unexpected argument ${extra[0]}` : 'validate-config needs a file');
  try {
    const config = parseConfig(readConfigFile(file), file);
    const types = config.exporters.map((e) => e.type).join(', ') || 'none';
    const health = config.health ? `, health ${config.health.enabled ? 'on' : 'off'}` : '';
    const a = config.alerting;
    const alerting = a ? `, alerting ${a.enabled ? 'on' : 'off'}: ${a.rules.length} rule(s), ${a.channels.length} channel(s)` : '';
    out.write(
      `${file}: valid (${config.enabled ? 'enabled' : 'disabled'}, ${config.exporters.length} exporter(s): ${types}${health}${alerting})\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err.write(`${file}: invalid configuration\n${error.issues.map((i) => `  ${i}`).join('\n')}\n`);
    return 1;
  }
}

/** Ours: dist/cli/ and src/cli/ are both two levels below package.json. */
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

/** Runs the command line `argv` (without node and the script); resolves to the exit status, or RUNNING. */
export async function main(argv: readonly string[], out: Out = process.stdout, err: Out = process.stderr): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    out.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err.write(`omnimeter: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  if (wantsHelp(args)) {
    out.write(`usage: ${command.usage}\n  ${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(args, out, err);
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`omnimeter ${name}: ${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      err.write(`omnimeter ${name}: invalid configuration (${error.source})\n${error.issues.map((i) => `  ${i}`).join('\n')}\n`);
      return 1;
    }
    err.write(`omnimeter ${name}: ${(error as Error).message}\n`);
    if (process.env.OMNIMETER_DEBUG) err.write(`${(error as Error).stack}\n`);
    return 1;
  }
}
