/**
 * Noise control applied when a group is notified, as Alertmanager applies
 * it: silences (label matchers with a start and an expiry, from the
 * configuration or set at runtime) and inhibition (a firing source alert
 * mutes target alerts whose `equal` labels have the same values).
 */
import type { InhibitConfig, SilenceConfig } from '../config/alerting-schema.js';
import { type Labels, type Matcher, compileMatchers, formatMatchers, parseSelector } from '../config/selector.js';
import type { AlertSnapshot } from './rules.js';

export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly comment: string;
}

export interface SilenceInput {
  /** Matchers in selector syntax, `{alertname="X", severity=~"warning|info"}`, or parsed. */
  matchers: string | readonly Matcher[];
  /** Default: now. */
  startsAt?: number | Date;
  /** When it expires; or give `durationMs`. */
  endsAt?: number | Date;
  durationMs?: number;
  comment?: string;
}

const ms = (v: number | Date) => (typeof v === 'number' ? v : v.getTime());

export class Silences {
  private readonly all = new Map<string, Silence & { match: (l: Labels) => boolean }>();
  private seq = 0;

  constructor(private readonly now: () => number) {}

  /** Adds a silence; returns it (with its id). */
  add(input: SilenceInput): Silence {
    const matchers = typeof input.matchers === 'string' ? parseSelector(input.matchers).matchers : input.matchers;
    if (matchers.length === 0) throw new RangeError('a silence needs at least one matcher');
    const startsAt = input.startsAt === undefined ? this.now() : ms(input.startsAt);
    const endsAt =
      input.endsAt !== undefined ? ms(input.endsAt) : input.durationMs !== undefined ? startsAt + input.durationMs : Number.NaN;
    if (!(endsAt > startsAt)) throw new RangeError('a silence needs an expiry after its start (endsAt or durationMs)');
    const silence = { id: `s${++this.seq}`, matchers, startsAt, endsAt, comment: input.comment ?? '' };
    this.all.set(silence.id, { ...silence, match: compileMatchers(matchers) });
    return silence;
  }

  addFromConfig(config: SilenceConfig): Silence {
    return this.add({
      matchers: config.matchers,
      startsAt: config.startsAt === undefined ? undefined : Date.parse(config.startsAt),
      endsAt: Date.parse(config.endsAt),
      comment: config.comment,
    });
  }

  /** Ends a silence now; false if there is no such silence. */
  expire(id: string): boolean {
    return this.all.delete(id);
  }

  /** Silences not yet expired (active or scheduled). */
  list(): Silence[] {
    this.sweep();
    return [...this.all.values()].map(({ match: _, ...s }) => s);
  }

  /** The id of an active silence muting `labels`, if any. */
  silencedBy(labels: Labels): string | undefined {
    const t = this.now();
    this.sweep();
    for (const s of this.all.values()) if (s.startsAt <= t && t < s.endsAt && s.match(labels)) return s.id;
    return undefined;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.all) if (s.endsAt <= t) this.all.delete(id);
  }

  static describe(s: Silence): string {
    return `${s.id} ${formatMatchers(s.matchers)} until ${new Date(s.endsAt).toISOString()}${s.comment ? ` (${s.comment})` : ''}`;
  }
}

export class Inhibitor {
  private readonly rules: { source: (l: Labels) => boolean; target: (l: Labels) => boolean; equal: readonly string[] }[];
  private firing: readonly AlertSnapshot[] = [];

  constructor(config: readonly InhibitConfig[]) {
    this.rules = config.map((r) => ({
      source: compileMatchers(parseSelector(r.source).matchers),
      target: compileMatchers(parseSelector(r.target).matchers),
      equal: r.equal,
    }));
  }

  /** The alerts that can inhibit: those firing at the latest evaluation. */
  update(alerts: readonly AlertSnapshot[]): void {
    this.firing = alerts.filter((a) => a.state === 'firing');
  }

  /** Whether a firing source alert (other than this one) mutes `labels`. */
  inhibited(labels: Labels, fingerprint: string): boolean {
    return this.rules.some(
      (r) =>
        r.target(labels) &&
        this.firing.some(
          (s) => s.fingerprint !== fingerprint && r.source(s.labels) && r.equal.every((n) => (s.labels[n] ?? '') === (labels[n] ?? '')),
        ),
    );
  }
}
