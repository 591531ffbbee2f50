/**
 * Annotation templates: the subset of Prometheus' Go-template language that
 * alert annotations use, so an annotation written here renders the same when
 * the rule is exported to a Prometheus server:
 *   {{ $labels.name }}  {{ $value }}  {{ $value | humanize }}  {{ humanize $value }}
 *   {{ humanizePercentage $value }}  {{ printf "%.2f" $value }}
 * Anything else is rejected when the configuration is validated.
 */

export class TemplateError extends Error {}

type Term = { kind: 'value' } | { kind: 'label'; name: string } | { kind: 'string'; text: string };
type Fn = 'humanize' | 'humanizePercentage' | { printf: string };
interface Action {
  term: Term;
  fns: Fn[];
}
type Part = string | Action;

const FUNCTIONS = new Set(['humanize', 'humanizePercentage']);
const TOKEN = /\s*(\$value\b|\$labels\.[a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*"|\||[a-zA-Z]+)/y;

function tokens(source: string, at: number): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m)
      throw new TemplateError(
        `expected $value, $labels.<name>, a quoted string, "|" or a function at offset ${at + pos}, found ${JSON.stringify(source.slice(pos).trim())}`,
      );
    out.push(m[1]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function parseTerm(token: string | undefined): Term {
  if (token === '$value') return { kind: 'value' };
  if (token?.startsWith('$labels.')) return { kind: 'label', name: token.slice(8) };
  if (token?.startsWith('"')) return { kind: 'string', text: JSON.parse(token) as string };
  throw new TemplateError(`expected $value, $labels.<name> or a string, got ${token === undefined ? 'nothing' : JSON.stringify(token)}`);
}

function parseAction(source: string, at: number): Action {
  const groups: string[][] = [[]];
  for (const t of tokens(source, at)) t === '|' ? groups.push([]) : groups[groups.length - 1]!.push(t);
  const [head, ...piped] = groups;
  const fns: Fn[] = [];
  const fnOf = (name: string | undefined, arg?: string): Fn => {
    if (name === 'printf') {
      if (!arg?.startsWith('"')) throw new TemplateError('expected a quoted format string after printf');
      const format = JSON.parse(arg) as string;
      checkPrintf(format);
      return { printf: format };
    }
    if (name && FUNCTIONS.has(name)) return name as Fn;
    throw new TemplateError(`expected a template function (humanize, humanizePercentage, printf), found ${JSON.stringify(name)}`);
  };
  let term: Term;
  if (head!.length === 1) term = parseTerm(head![0]);
  else if (head![0] === 'printf' && head!.length === 3) {
    term = parseTerm(head![2]);
    fns.push(fnOf('printf', head![1]));
  } else if (head!.length === 2) {
    term = parseTerm(head![1]);
    fns.push(fnOf(head![0]));
  } else throw new TemplateError(`expected one term, function or printf in {{${source}}}`);
  for (const p of piped) {
    if (p[0] === 'printf') {
      if (p.length !== 2) throw new TemplateError('expected only a format after a piped printf');
      fns.push(fnOf('printf', p[1]));
    } else if (p.length === 1) fns.push(fnOf(p[0]));
    else throw new TemplateError(`expected a function after "|", found ${JSON.stringify(p.join(' '))}`);
  }
  return { term, fns };
}

const PRINTF_VERB = /%(?:%|\.?\d*[fgevsd])/g;

function checkPrintf(format: string): void {
  const verbs = format.match(PRINTF_VERB) ?? [];
  const rest = format.replace(PRINTF_VERB, '');
  if (rest.includes('%')) throw new TemplateError(`expected printf verbs %f %.2f %g %e %v %s %d or %%, found ${JSON.stringify(format)}`);
  if (verbs.filter((v) => v !== '%%').length !== 1)
    throw new TemplateError(`expected a printf format taking exactly one value, found ${JSON.stringify(format)}`);
}

export interface CompiledTemplate {
  readonly source: string;
  render(labels: Readonly<Record<string, string>>, value: number): string;
}

export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open < 0) {
      parts.push(source.slice(pos));
      break;
    }
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`expected "}}" to close the "{{" at offset ${open}`);
    if (open > pos) parts.push(source.slice(pos, open));
    parts.push(parseAction(source.slice(open + 2, close), open + 2));
    pos = close + 2;
  }
  return {
    source,
    render: (labels, value) => parts.map((p) => (typeof p === 'string' ? p : run(p, labels, value))).join(''),
  };
}

function run(action: Action, labels: Readonly<Record<string, string>>, value: number): string {
  let current: number | string =
    action.term.kind === 'value' ? value : action.term.kind === 'label' ? (labels[action.term.name] ?? '') : action.term.text;
  for (const fn of action.fns) {
    const n = typeof current === 'number' ? current : Number(current);
    if (fn === 'humanize') current = humanize(n);
    else if (fn === 'humanizePercentage') current = `${formatG(n * 100, 4)}%`;
    else current = printf(fn.printf, current);
  }
  return typeof current === 'number' ? goFloat(current) : current;
}

function printf(format: string, arg: number | string): string {
  return format.replace(PRINTF_VERB, (verb) => {
    if (verb === '%%') return '%';
    const n = typeof arg === 'number' ? arg : Number(arg);
    const precision = /\.(\d+)/.exec(verb)?.[1];
    const p = precision === undefined ? undefined : Number(precision);
    switch (verb[verb.length - 1]) {
      case 'f':
        return special(n) ?? n.toFixed(p ?? 6);
      case 'e':
        return special(n) ?? goExponent(n.toExponential(p ?? 6));
      case 'g':
        return p === undefined ? goFloat(n) : formatG(n, p);
      case 'd':
        return Number.isInteger(n) ? String(n) : `%!d(float64=${goFloat(n)})`;
      default:
        return typeof arg === 'number' ? goFloat(arg) : arg;
    }
  });
}

function special(n: number): string | undefined {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return undefined;
}

/** JavaScript's `1.5e+6` / `1e-7` as Go writes exponents: at least two digits. */
function goExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Digits and decimal-point position of |n|, shortest (precision undefined) or rounded to `precision` significant digits. */
function digitsOf(n: number, precision?: number): { digits: string; dp: number } {
  const [mantissa, exp] = Math.abs(n)
    .toExponential(precision === undefined ? undefined : Math.max(0, precision - 1))
    .split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, dp: Number(exp) + 1 };
}

/** Go's %g: shortest (precision undefined, as %v prints a float64) or with a precision. */
function formatG(n: number, precision?: number): string {
  const s = special(n);
  if (s) return s;
  if (n === 0) return '0';
  const { digits, dp } = digitsOf(n, precision);
  const sign = n < 0 ? '-' : '';
  const exp = dp - 1;
  let eprec = precision ?? digits.length;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  if (precision === undefined) eprec = 6;
  if (exp < -4 || exp >= eprec) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return `${sign}${digits}${'0'.repeat(dp - digits.length)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** A float64 as Go's fmt prints it with %v (what `{{ $value }}` shows). */
export function goFloat(n: number): string {
  return formatG(n);
}

/** Prometheus' humanize: SI prefixes, four significant digits. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${formatG(v, 4)}${prefix}`;
}
