// The whole project typechecks under the strict tsconfig (tsc --noEmit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

test('tsc --noEmit reports no errors', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', '.'], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  assert.is(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

test.run();
