/**
 * `omnimeter build-guest <guest.ts> --wit <file | folder> [--world w]`:
 * an AssemblyScript guest from the user's own folder to a component that
 * `omnimeter run` and `readComponent` load, with omnimeter's WIT package
 * laid out under deps/ for them. Needs the optional peers assemblyscript
 * and @bytecodealliance/jco; a missing one is named with its install command.
 */
import { buildAssemblyScriptGuest } from '../build/guest.js';
import { type Out, UsageError } from './command.js';

export interface BuildGuestOptions {
  source: string;
  wit: string;
  world?: string;
  name?: string;
  outDir: string;
  force: boolean;
}

export function parseBuildGuestArgs(argv: readonly string[]): BuildGuestOptions {
  let source: string | undefined;
  const options: Partial<BuildGuestOptions> = { outDir: 'build', force: false };
  const flags: Record<string, keyof BuildGuestOptions> = { '--wit': 'wit', '--world': 'world', '--name': 'name', '--out': 'outDir' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = flags[a];
    if (key) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${a} needs a value`);
      (options as Record<string, unknown>)[key] = value;
    } else if (a === '--force') options.force = true;
    else if (!a.startsWith('--') && source === undefined) source = a;
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (!source) throw new UsageError('build-guest needs the guest’s AssemblyScript source file');
  if (!options.wit) throw new UsageError('build-guest needs --wit: the WIT file (or folder) declaring the guest’s world');
  return { ...(options as BuildGuestOptions), source };
}

export async function buildGuestCommand(args: string[], out: Out): Promise<number> {
  const options = parseBuildGuestArgs(args);
  const result = await buildAssemblyScriptGuest({
    ...options,
    feature: 'omnimeter build-guest',
    onStart: () => out.write(`building ${options.source} (AssemblyScript, then a component)...\n`),
  });
  out.write(
    result.built
      ? `built ${result.name} in ${result.seconds.toFixed(1)} s: ${result.component} (${result.bytes} bytes), glue in ${result.js}\n`
      : `${result.name}: up to date (${result.component})\n`,
  );
  return 0;
}
