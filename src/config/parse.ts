/** Validation of a configuration object, on every platform (no file access here). */
import { ConfigError, formatIssues } from './errors.js';
import { type MetricsConfig, MetricsConfigSchema } from './schema.js';

/** Validates `input`; throws a ConfigError naming every bad path and value. */
export function parseConfig(input: unknown, source = 'config'): MetricsConfig {
  const result = MetricsConfigSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}
