/**
 * Checks expositions with the strict OpenMetrics parser (and the 0.0.4 one)
 * in batches: one Python process per few hundred bodies, so ten thousand
 * fuzz cases cost seconds, not minutes. Each body keeps the input that
 * produced it, for the failure message.
 */
import { pythonParse } from '../support/validators.js';

interface Pending {
  format: 'openmetrics' | 'prometheus';
  text: string;
  input: () => string;
}

export class BatchParser {
  private pending: Pending[] = [];
  private pendingBytes = 0;
  checked = 0;

  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  add(format: Pending['format'], text: string, input: () => string): void {
    this.pending.push({ format, text, input });
    this.pendingBytes += text.length;
    if (this.pendingBytes >= this.maxBytes || this.pending.length >= 2000) this.flush();
  }

  /** Parses what is pending; throws on the first body a parser refuses, naming the input. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const results = pythonParse(batch.map(({ format, text }) => ({ format, text })));
    results.forEach((result, i) => {
      if (result.error !== undefined) {
        const b = batch[i]!;
        throw new Error(
          `${b.format} parser refused an exposition: ${result.error}\ninput: ${b.input().slice(0, 4000)}\nexposition:\n${b.text.slice(0, 4000)}`,
        );
      }
    });
    this.checked += batch.length;
  }
}

/** Records unhandled rejections while a fuzz target runs. */
export function watchRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => void rejections.push(reason);
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => process.off('unhandledRejection', listener) };
}

/** Fuzz cases per target: 10,000 under CI, fewer locally unless FUZZ_RUNS says otherwise. */
export function fuzzRuns(inCi: boolean): number {
  return Number(process.env.FUZZ_RUNS ?? (inCi ? 10_000 : 2_000));
}
