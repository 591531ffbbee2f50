/**
 * Metric selectors in PromQL's vector-selector syntax,
 * `name{label="v", other!="x", re=~"a|b", not!~"c.*"}`, so a rule reads the
 * same here and in a Prometheus rule file. Regular expressions are anchored
 * (a full match, as in PromQL); they run as JavaScript regular expressions,
 * which accept the RE2 syntax PromQL uses for everything except a few
 * rarely used forms (documented in docs/health-and-alerting.md).
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface Selector {
  /** Metric name, or "" when the selector names none (matchers only: silences, inhibition). */
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

export type Labels = Readonly<Record<string, string>>;

export class SelectorError extends Error {}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const SPACE = /\s*/y;
const OP = /=~|!~|!=|=/y;

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SelectorError(`expected ${what} at offset ${this.pos} of ${JSON.stringify(this.text)}`);
  }

  skip(): void {
    SPACE.lastIndex = this.pos;
    SPACE.exec(this.text);
    this.pos = SPACE.lastIndex;
  }

  match(re: RegExp): string | undefined {
    this.skip();
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  eat(char: string): boolean {
    this.skip();
    if (this.text[this.pos] !== char) return false;
    this.pos++;
    return true;
  }

  /** A double-, single- or back-quoted string with PromQL's (Go's) escapes. */
  string(): string {
    this.skip();
    const quote = this.text[this.pos];
    if (quote !== '"' && quote !== "'" && quote !== '`') this.fail('a quoted label value');
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === quote) {
        this.pos = i + 1;
        return out;
      }
      if (c === '\n' && quote !== '`') break;
      if (c !== '\\' || quote === '`') {
        out += c;
        continue;
      }
      const e = this.text[++i];
      if (e !== undefined && e in ESCAPES) out += ESCAPES[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.text.slice(i + 1, i + 1 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) break;
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        i += width;
      } else break;
    }
    this.fail(`a closed ${quote}-quoted string with valid escapes`);
  }
}

export function parseSelector(text: string): Selector {
  const r = new Reader(text);
  const metric = r.match(NAME) ?? '';
  const matchers: Matcher[] = [];
  if (r.eat('{')) {
    while (!r.eat('}')) {
      const name = r.match(LABEL) ?? r.fail('a label name');
      const op = (r.match(OP) ?? r.fail('=, !=, =~ or !~')) as MatchOp;
      const value = r.string();
      if (op === '=~' || op === '!~') checkRegex(value);
      if (name === '__name__') throw new SelectorError('put the metric name before "{", not in a __name__ matcher');
      matchers.push({ name, op, value });
      if (!r.eat(',')) {
        if (!r.eat('}')) r.fail('"," or "}"');
        break;
      }
    }
  }
  r.skip();
  if (r.pos !== text.length) r.fail('the end of the selector');
  if (!metric && matchers.length === 0) throw new SelectorError('a selector needs a metric name or at least one matcher');
  return { metric, matchers };
}

function checkRegex(source: string): void {
  try {
    new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    throw new SelectorError(`invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
  }
}

/** A label value as a PromQL double-quoted string. */
export function quote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function formatMatchers(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(', ')}}`;
}

export function formatSelector(selector: Selector, extra: readonly Matcher[] = []): string {
  const matchers = [...selector.matchers, ...extra];
  return `${selector.metric}${matchers.length || !selector.metric ? formatMatchers(matchers) : ''}`;
}

/** A predicate over label sets; a missing label matches as "" (as in PromQL). */
export function compileMatchers(matchers: readonly Matcher[]): (labels: Labels) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === '=') return (v: string) => v === m.value;
    if (m.op === '!=') return (v: string) => v !== m.value;
    const re = new RegExp(`^(?:${m.value})$`, 'u');
    return m.op === '=~' ? (v: string) => re.test(v) : (v: string) => !re.test(v);
  });
  return (labels) => matchers.every((m, i) => tests[i]!(labels[m.name] ?? ''));
}

/** The labels an equality matcher pins: what PromQL's absent() puts on its result. */
export function pinnedLabels(selector: Selector): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of selector.matchers) if (m.op === '=') out[m.name] = m.value;
  return out;
}
