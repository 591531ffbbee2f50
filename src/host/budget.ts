/**
 * The budget of one invocation of a metered component (see
 * src/component/meter.ts): the guest asks `refill` for more steps each time
 * its counter runs out; the answer is the next allowance, or an exception
 * that unwinds the guest once its steps or its time are spent.
 */

/** Why an invocation was stopped. */
export class BudgetExceeded extends Error {
  constructor(
    readonly status: 'timeout' | 'step_limit',
    message: string,
  ) {
    super(message);
    this.name = 'BudgetExceeded';
  }
}

/** Steps granted per refill: the clock is read once per this many steps. */
export const STEPS_PER_REFILL = 10_000;

export class Budget {
  private deadline = Infinity;
  private limit = Infinity;
  private granted = 0;
  private budgetMs = Infinity;

  /** `onRefill` runs at every refill: a point to observe the guest mid-invocation (its memory). */
  constructor(private readonly onRefill?: () => void) {}

  /** Starts an invocation at `now` (performance.now()): `timeMs` from then, at most `steps` steps. */
  begin(timeMs: number, steps: number, now = performance.now()): void {
    this.budgetMs = timeMs;
    this.deadline = now + timeMs;
    this.limit = steps;
    this.granted = 0;
  }

  /** Steps handed to the guest in this invocation (unused fuel included). */
  get steps(): number {
    return this.granted;
  }

  /** The guest's `refill` import. */
  refill = (): number => {
    this.onRefill?.();
    if (this.granted >= this.limit) throw new BudgetExceeded('step_limit', `stopped after ${this.limit} steps (its step budget)`);
    if (performance.now() > this.deadline) throw new BudgetExceeded('timeout', `stopped after ${this.budgetMs} ms (its time budget)`);
    const grant = Math.min(STEPS_PER_REFILL, this.limit - this.granted);
    this.granted += grant;
    return grant;
  };
}
