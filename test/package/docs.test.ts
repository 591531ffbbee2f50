/**
 * THE DOCS TEST: every fenced code block in README.md and docs/*.md runs, as
 * a new user would run it, or says why it cannot.
 *
 * Each document gets its own fresh project with omnimeter installed from the
 * packed tarball (test/package/setup.ts), and its blocks run in order in it,
 * with OMNIMETER_PORT set to a free port (it moves every Prometheus endpoint
 * there, so write the usual 9464 in samples). The info string after the
 * opening fence decides what happens:
 *
 *   ```sh   (bash, shell)   each line is a command (a trailing \ continues it),
 *                           run with bash; it must exit 0, or N when the line
 *                           ends with a comment `# exit N`. A line ending with
 *                           `# serves` must start serving, on OMNIMETER_PORT,
 *                           a /metrics that answers; it is then stopped with
 *                           Ctrl-C (SIGINT) and must end cleanly.
 *   ```ts   (typescript)    type-checked with tsc --strict (ESM, NodeNext,
 *                           Node and DOM types, skipLibCheck as `tsc --init`
 *                           sets it), then run with node. It must end by
 *                           itself: shut metrics down (or mark it `serves`).
 *   ```js   (mjs)           run with node.
 *   ```yaml (yml, json)     a configuration: `omnimeter validate-config`
 *                           must accept it.
 *   anything else           (text, wit, no language...) is shown, not run.
 *
 * Words after the language:
 *   file=PATH        write the block to PATH in the project instead (any
 *                    language); later blocks use it. Not run by itself.
 *   compile-only     ts: type-check but do not run (page code, say so nearby).
 *   serves           ts/js: the program serves /metrics on OMNIMETER_PORT
 *                    until interrupted (as `# serves` for a command).
 *   repo             sh: run in the repository checkout, not the project
 *                    (npm start, npm run ... : commands for contributors).
 *   no-test: REASON  not run; the reason is listed in the test output.
 *                    Keep these rare: prefer a runnable sample.
 *
 * Example: ```ts file=src/tool.ts   or   ```sh no-test: runs this suite itself
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { LANGS, commands, fencedBlocks } from './markdown.js';
import { ROOT, commandEnv, copyProject, serveAndStop, sh, tsc } from './project.js';

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const describeRan = (r: { status: number | null; signal: string | null; stdout: string; stderr: string }) =>
  `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

/** A program that serves until interrupted ended cleanly: exit 0 (flushed and stopped), or the SIGINT it was sent. */
const endedCleanly = (r: { status: number | null; signal: string | null }) => r.status === 0 || r.signal === 'SIGINT' || r.status === 130;

for (const doc of DOCS) {
  const blocks = fencedBlocks(doc, readFileSync(join(ROOT, doc), 'utf8')).filter((b) => LANGS[b.lang] || b.attrs.file);
  if (blocks.length === 0) continue;

  describe(doc, () => {
    let project = '';
    const projectDir = () => (project ||= copyProject(inject('consumer').project));

    for (const block of blocks) {
      const where = `${doc}:${block.line}`;
      const kind = LANGS[block.lang];
      if (block.attrs.noTest) {
        it.skip(`${where} [not run: ${block.attrs.noTest}]`, () => {});
        continue;
      }
      if (block.attrs.file) {
        it(`${where} writes ${block.attrs.file}`, () => {
          const path = join(projectDir(), block.attrs.file!);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, block.code);
        });
        continue;
      }
      if (kind === 'sh') {
        for (const c of commands(block.code)) {
          it(`${where} $ ${c.command}`, async () => {
            const cwd = block.attrs.repo ? ROOT : projectDir();
            const port = await freePort();
            if (c.serves) {
              const served = await serveAndStop(c.command, cwd, commandEnv(port), port);
              expect(served.metrics, `no /metrics on ${port}: ${describeRan(served)}`).toMatch(/^# (HELP|TYPE) /m);
              expect(endedCleanly(served), `after Ctrl-C: ${describeRan(served)}`).toBe(true);
              return;
            }
            const ran = await sh(c.command, cwd, commandEnv(port));
            expect(ran.status, describeRan(ran)).toBe(c.exit);
          });
        }
        continue;
      }
      if (kind === 'config') {
        it(`${where} is a valid configuration`, async () => {
          const file = join(projectDir(), `doc-config-${block.line}.${block.lang === 'json' ? 'json' : 'yaml'}`);
          writeFileSync(file, block.code);
          const ran = await sh(`npx omnimeter validate-config ${basename(file)}`, projectDir(), commandEnv(await freePort()));
          expect(ran.status, describeRan(ran)).toBe(0);
        });
        continue;
      }
      it(`${where} ${block.lang}${block.attrs.compileOnly ? ' (type-checked only)' : ''}`, async () => {
        const cwd = projectDir();
        const name = `${doc.replace(/\W+/g, '-')}-${block.line}`;
        let program: string;
        if (kind === 'ts') {
          mkdirSync(join(cwd, 'snippets'), { recursive: true });
          writeFileSync(join(cwd, 'snippets', `${name}.ts`), block.code);
          tsc(cwd, [`snippets/${name}.ts`], { outDir: `out/${name}`, rootDir: 'snippets' });
          if (block.attrs.compileOnly) return;
          program = `out/${name}/${name}.js`;
        } else {
          program = `${name}.mjs`;
          writeFileSync(join(cwd, program), block.code);
        }
        const port = await freePort();
        if (block.attrs.serves) {
          const served = await serveAndStop(`node ${program}`, cwd, commandEnv(port), port);
          expect(served.metrics, `no /metrics on ${port}: ${describeRan(served)}`).toMatch(/^# (HELP|TYPE) /m);
          expect(endedCleanly(served), describeRan(served)).toBe(true);
          return;
        }
        const ran = await sh(`node ${program}`, cwd, commandEnv(port), 120_000);
        expect(ran.status, describeRan(ran)).toBe(0);
      });
    }
  });
}
