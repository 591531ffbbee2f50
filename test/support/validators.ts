import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './tools.js';

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** OpenMetrics only: the sample's exemplar as the parser read it. */
  exemplar: { labels: Record<string, string>; value: number; timestamp: number | null } | null;
}
export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  unit: string;
  samples: ParsedSample[];
}
export type ParseResult = { families: ParsedFamily[]; error?: undefined } | { error: string; families?: undefined };

const SCRIPT = fileURLToPath(new URL('./parse_exposition.py', import.meta.url));

function goFloat(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Parses many bodies in one Python process (the strict parser for OpenMetrics). */
export function pythonParse(bodies: { format: 'openmetrics' | 'prometheus'; text: string }[]): ParseResult[] {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(bodies), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`parser crashed: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as (ParseResult & { families?: (ParsedFamily & { samples: { value: string }[] })[] })[];
  for (const result of results) {
    for (const family of result.families ?? []) {
      for (const sample of family.samples) (sample as ParsedSample).value = goFloat(sample.value as unknown as string);
    }
  }
  return results as ParseResult[];
}

export function parseStrict(text: string, format: 'openmetrics' | 'prometheus' = 'openmetrics'): ParsedFamily[] {
  const [result] = pythonParse([{ format, text }]);
  if (result!.error !== undefined) throw new Error(`${format} parser rejected the body: ${result!.error}\n${text}`);
  return result!.families!;
}

/** `promtool check metrics`: exit 0 valid, 1 parse error, 3 lint problems. */
export function promtoolCheck(text: string): { status: number; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}
