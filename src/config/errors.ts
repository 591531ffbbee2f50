import type { z } from 'zod';
import { describeValue } from '../core/errors.js';

/** A configuration that failed validation; `issues` lists every problem found. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid configuration (${source}):\n  ${issues.join('\n  ')}`);
  }
}

/** `exporters[1].port` from ['exporters', 1, 'port']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(root)';
}

/** Our messages start with "expected"; zod's defaults ("Too small: expected ...") are cut to that part. */
function expectation(message: string): string {
  if (message.startsWith('expected')) return message;
  const match = /expected (.*?)(?:, received .*)?$/.exec(message);
  return match ? `expected ${match[1]}` : `expected ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/** The offending value: for a discriminator, the field itself rather than the whole object. */
function offending(issue: z.core.$ZodIssue): string {
  if (!('input' in issue)) return '';
  let input = issue.input;
  const last = issue.path[issue.path.length - 1];
  const discriminator = issue.code === 'invalid_union' && 'discriminator' in issue;
  if (discriminator && typeof last === 'string' && typeof input === 'object' && input !== null)
    input = (input as Record<string, unknown>)[last];
  return `, got ${input === undefined ? 'nothing' : describeValue(input)}`;
}

/** One line per issue: `path: expected ..., got <value>`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key`);
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? 'a valid key';
      return [`${formatPath(issue.path)}: key ${describeValue(issue.input)}: ${expectation(inner)}`];
    }
    return [`${formatPath(issue.path)}: ${expectation(issue.message)}${offending(issue)}`];
  });
}
