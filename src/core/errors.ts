/** Every error the SDK throws for bad input is a MetricsError with a stable code. */
export type MetricsErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_LABEL_NAME'
  | 'INVALID_LABELS'
  | 'INVALID_VALUE'
  | 'INVALID_OPTIONS'
  | 'CONFLICT'
  | 'CLOSED';

export class MetricsError extends Error {
  override readonly name = 'MetricsError';
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Render any value for an error message without throwing on exotic input. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
