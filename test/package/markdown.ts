/**
 * Fenced code blocks of a Markdown document, and the commands of a shell
 * block, read by the rules at the top of docs.test.ts.
 */

export interface Block {
  doc: string;
  line: number;
  lang: string;
  attrs: { file?: string; compileOnly: boolean; serves: boolean; repo: boolean; noTest?: string };
  code: string;
}

export const LANGS: Record<string, 'sh' | 'ts' | 'js' | 'config'> = {
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  mjs: 'js',
  yaml: 'config',
  yml: 'config',
  json: 'config',
};

/** The fenced blocks of a Markdown document (``` or ~~~ fences, possibly indented in lists). */
export function fencedBlocks(doc: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence![0] && close[1]!.length >= fence!.length) break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart());
    }
    const [lang = '', ...words] = info!.trim().split(/\s+/);
    const rest = words.join(' ');
    const noTest = /(?:^|\s)no-test:\s*(.+)$/.exec(rest)?.[1];
    blocks.push({
      doc,
      line: i + 1,
      lang: lang.toLowerCase(),
      attrs: {
        file: /(?:^|\s)file=(\S+)/.exec(rest)?.[1],
        compileOnly: /(?:^|\s)compile-only\b/.test(rest),
        serves: /(?:^|\s)serves\b/.test(rest),
        repo: /(?:^|\s)repo\b/.test(rest),
        noTest,
      },
      code: `${body.join('\n')}\n`,
    });
    i = j;
  }
  return blocks;
}

/** Commands of a shell block: continuation lines joined, blank and comment-only lines dropped. */
export function commands(code: string): { command: string; exit: number; serves: boolean }[] {
  const out: { command: string; exit: number; serves: boolean }[] = [];
  let pending = '';
  for (const raw of code.split('\n')) {
    const line = pending + raw;
    if (/\\\s*$/.test(raw)) {
      pending = `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    pending = '';
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const exit = /\s#\s*exit\s+(\d+)\b/.exec(line);
    out.push({ command: line.trim(), exit: exit ? Number(exit[1]) : 0, serves: /\s#\s*serves\b/.test(line) });
  }
  return out;
}
