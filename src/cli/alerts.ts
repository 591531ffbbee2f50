/**
 * `omnimeter alerts export <config> [--output <file>]`: the configuration's
 * alerting rules as a Prometheus rule file (stdout by default). Rules PromQL
 * cannot express are listed on stderr and as comments in the file.
 */
import { writeFileSync } from 'node:fs';
import { exportRules } from '../alerting/export.js';
import { parseConfig, readConfigFile } from '../config/load.js';
import { type Out, UsageError } from './command.js';

export async function alertsCommand(args: readonly string[], out: Out, err: Out): Promise<number> {
  const [sub, file, ...rest] = args;
  if (sub !== 'export') throw new UsageError(sub === undefined ? 'expected a subcommand: export' : `unknown subcommand "${sub}"`);
  if (!file) throw new UsageError('expected a configuration file');
  const output = rest[0] === '--output' && rest.length === 2 ? rest[1] : undefined;
  if (rest.length > 0 && !output) throw new UsageError(`unexpected ${rest.join(' ')}`);
  const alerting = parseConfig(readConfigFile(file), file).alerting;
  if (!alerting || alerting.rules.length === 0) {
    err.write(`${file}: no alerting rules to export\n`);
    return 1;
  }
  const result = exportRules(alerting);
  for (const s of result.skipped) err.write(`not exported: ${s.rule}: ${s.reason}\n`);
  if (output) {
    writeFileSync(output, result.yaml);
    err.write(`wrote ${result.exported.length} rule(s) to ${output}\n`);
  } else out.write(result.yaml);
  return 0;
}
