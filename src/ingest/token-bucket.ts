/**
 * A token bucket: `rate` tokens per second, holding at most `capacity`.
 * Taking may leave it in debt (a large body charged after it was read), in
 * which case nothing more passes until the debt is paid back at `rate`.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
  }

  /** Whether at least one token is there (the bucket is not in debt). */
  ready(now: number): boolean {
    this.refill(now);
    return this.tokens >= 1;
  }

  /** Takes `n` tokens if they are there; false (nothing taken) otherwise. */
  take(now: number, n = 1): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes `n` tokens even into debt. */
  charge(now: number, n: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Milliseconds until one token is there again. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
}
