/**
 * An export the receiver refused in a way retrying cannot fix (remote
 * write's 4xx other than 429: malformed or out-of-order data). The pipeline
 * drops that batch at once, counts it as dropped and goes on with the next,
 * instead of retrying it until the queue overflows.
 */
export class RefusedExportError extends Error {
  override readonly name = 'RefusedExportError';
}

/**
 * Reads (and so releases) an HTTP response; throws for one that is not a
 * success: `RefusedExportError` for a 4xx other than 429, a plain error
 * (retried) for the rest.
 */
export async function checkHttpResponse(response: Response, url: string): Promise<void> {
  const text = (await response.text()).slice(0, 512); // drain, so the connection is reused
  if (response.ok) return;
  const message = `HTTP ${response.status} from ${url}${text ? `: ${text.trim()}` : ''}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new RefusedExportError(message);
  throw new Error(message);
}
