/** The docs test's reading of Markdown (rules at the top of test/package/docs.test.ts). */
import { describe, expect, it } from 'vitest';
import { commands, fencedBlocks } from '../package/markdown.js';

const DOC = [
  'Intro.',
  '',
  '```sh repo',
  'npm start   # serves',
  '```',
  '',
  '- in a list:',
  '  ```ts file=src/a.ts',
  '  const a = 1;',
  '  ```',
  '',
  '~~~yaml no-test: a fragment of a bigger file',
  'x: 1',
  '~~~',
  '',
  '````md',
  '```sh',
  'not a block of its own',
  '```',
  '````',
  '',
  '```',
  'diagram',
  '```',
].join('\n');

describe('the docs test reads Markdown as its rules say', () => {
  it('finds fenced blocks with their language, attributes, line and indentation removed', () => {
    const blocks = fencedBlocks('doc.md', DOC);
    expect(blocks.map((b) => [b.line, b.lang, b.code])).toEqual([
      [3, 'sh', 'npm start   # serves\n'],
      [8, 'ts', 'const a = 1;\n'],
      [12, 'yaml', 'x: 1\n'],
      [16, 'md', '```sh\nnot a block of its own\n```\n'],
      [22, '', 'diagram\n'],
    ]);
    expect(blocks[0]!.attrs).toMatchObject({ repo: true, compileOnly: false, noTest: undefined });
    expect(blocks[1]!.attrs.file).toBe('src/a.ts');
    expect(blocks[2]!.attrs.noTest).toBe('a fragment of a bigger file');
  });

  it('reads commands: continuations joined, comments skipped, `# exit N` and `# serves` understood', () => {
    expect(
      commands(
        [
          '# a comment',
          'npx omnimeter --help',
          'npx omnimeter validate-config bad.yaml   # exit 1',
          'npx omnimeter run x \\',
          '  --once',
          'npm start # serves',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      { command: 'npx omnimeter --help', exit: 0, serves: false },
      { command: 'npx omnimeter validate-config bad.yaml   # exit 1', exit: 1, serves: false },
      { command: 'npx omnimeter run x    --once', exit: 0, serves: false },
      { command: 'npm start # serves', exit: 0, serves: true },
    ]);
  });
});
