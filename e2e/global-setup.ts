import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BIN = path.join(__dirname, '.bin', 'patpolicy');

// Builds the server binary once for the whole run, from the repository root.
export default async function globalSetup(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '..');
  fs.mkdirSync(path.dirname(BIN), { recursive: true });
  execFileSync('go', ['build', '-o', path.join('e2e', '.bin', 'patpolicy'), '.'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}
