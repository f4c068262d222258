/**
 * Which code produced a result: the git commit of the working tree the experiment ran from, and
 * whether tracked files differed from it (a run from uncommitted code cannot be reproduced from the
 * commit alone, so the record says so).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The commit the code ran from, or null outside a git checkout (e.g. an unpacked tarball). */
export interface CodeVersion {
  commit: string | null;
  /** True when tracked files had uncommitted changes at the start of the run. */
  dirty: boolean;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function git(args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null; // no git, or not a checkout
  }
}

/** Reads the commit and the dirty flag of the checkout this file belongs to. */
export function codeVersion(): CodeVersion {
  const commit = git(['rev-parse', 'HEAD']);
  if (commit === null) return { commit: null, dirty: false };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status !== null && status !== '' };
}
