// The `spinexr` command line: every file in ./commands registers one sub-command.
import { readdir } from 'node:fs/promises';
import { Command } from 'commander';

/** A sub-command module: `export function register(program: Command): void`. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Builds the program with every command found in `./commands` and runs it.
 * Command modules import their heavy dependencies inside the action, so `spinexr --help` stays fast.
 * @example await main(['node', 'spinexr', 'phantoms', '--count', '10', '--out', 'out/'])
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('spinexr')
    .description('SpineXR: gRPC model-serving cluster for spine X-ray AI')
    .showHelpAfterError();
  const dir = new URL('./commands/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  for (const file of files) {
    const mod = (await import(new URL(file, dir).href)) as CommandModule;
    mod.register(program);
  }
  await program.parseAsync(argv);
}
