// Finding the toolchain binaries: `ruff-lsp`, `ruff` and `ruff-prof`.
//
// One rule for all three, so users learn it once:
//   1. the setting (`ruffLang.server.path`, `ruffLang.ruffPath`,
//      `ruffLang.profPath`), if not empty — it wins even if it is wrong,
//      because silently running another binary would hide the mistake;
//   2. the workspace's own cargo build, `target/release/NAME` then
//      `target/debug/NAME`, in each workspace folder in order — people hacking
//      on the toolchain want the binary they just built, and release first
//      because it is the one benchmarks and JIT insight should measure;
//   3. `NAME` on PATH.
//
// `resolveBinary` is pure: the file system and environment come in through
// `ResolveEnv`, so the rule is unit-tested without touching the disk.
// Step 2 (and any workspace-relative setting) is skipped in untrusted
// workspaces: a binary inside an untrusted folder is untrusted code.

import * as nodePath from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface ResolveEnv {
  readonly platform: NodeJS.Platform;
  /** Value of the PATH environment variable. */
  readonly pathVariable: string | undefined;
  /** Value of PATHEXT (Windows only). */
  readonly pathExt: string | undefined;
  readonly homeDir: string;
  /** True when `file` exists, is a regular file, and may be executed. */
  isExecutable(file: string): boolean;
}

export interface ResolveRequest {
  /** Binary name without extension: `ruff-lsp`, `ruff` or `ruff-prof`. */
  readonly name: string;
  /** The setting's value; empty means automatic. */
  readonly configured: string;
  /** File-system paths of the workspace folders, in VS Code's order. */
  readonly workspaceFolders: readonly string[];
  /** False in untrusted workspaces: never pick a binary from a workspace folder. */
  readonly allowWorkspaceBinaries: boolean;
}

export type BinarySource = 'setting' | 'workspace' | 'path';

export type Resolution =
  | { readonly found: true; readonly path: string; readonly source: BinarySource }
  | { readonly found: false; readonly reason: string; readonly tried: readonly string[] };

/** The cargo output folders searched, in order. */
export const WORKSPACE_BUILD_DIRS: readonly string[] = ['target/release', 'target/debug'];

function pathApi(platform: NodeJS.Platform): nodePath.PlatformPath {
  return platform === 'win32' ? nodePath.win32 : nodePath.posix;
}

/** Names a bare command may have on disk: `ruff-lsp`, or `ruff-lsp.exe` etc. on Windows. */
function executableNames(name: string, env: ResolveEnv): string[] {
  if (env.platform !== 'win32') {
    return [name];
  }
  const p = pathApi(env.platform);
  if (p.extname(name) !== '') {
    return [name];
  }
  const exts = (env.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '');
  // cargo writes `.exe`; try it first so `ruff.exe` beats a stray `ruff.cmd`.
  const ordered = ['.exe', ...exts.map((e) => e.toLowerCase()).filter((e) => e !== '.exe')];
  return ordered.map((e) => name + e);
}

function firstExecutable(candidates: readonly string[], env: ResolveEnv, tried: string[]): string | undefined {
  for (const c of candidates) {
    tried.push(c);
    if (env.isExecutable(c)) {
      return c;
    }
  }
  return undefined;
}

function searchPath(name: string, env: ResolveEnv, tried: string[]): string | undefined {
  const p = pathApi(env.platform);
  const delimiter = env.platform === 'win32' ? ';' : ':';
  const dirs = (env.pathVariable ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    // An empty or relative PATH entry would resolve against VS Code's own
    // working directory, which is meaningless here; skip it.
    if (!p.isAbsolute(dir)) {
      continue;
    }
    const hit = firstExecutable(executableNames(name, env).map((n) => p.join(dir, n)), env, tried);
    if (hit !== undefined) {
      return hit;
    }
  }
  return undefined;
}

function resolveConfigured(req: ResolveRequest, env: ResolveEnv): Resolution {
  const p = pathApi(env.platform);
  const tried: string[] = [];
  let value = req.configured;

  if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) {
    value = p.join(env.homeDir, value.slice(1));
  }
  const usesWorkspaceVariable = value.includes('${workspaceFolder}');
  const isRelativePath = !usesWorkspaceVariable && !p.isAbsolute(value) && /[\\/]/.test(value);
  if ((usesWorkspaceVariable || isRelativePath) && !req.allowWorkspaceBinaries) {
    return {
      found: false,
      reason: `the setting "${req.configured}" points into the workspace, which is not trusted`,
      tried,
    };
  }

  let candidates: string[];
  if (usesWorkspaceVariable) {
    candidates = req.workspaceFolders.map((f) => value.split('${workspaceFolder}').join(f));
  } else if (isRelativePath) {
    candidates = req.workspaceFolders.map((f) => p.join(f, value));
  } else if (p.isAbsolute(value)) {
    candidates = [value];
  } else {
    // A bare command name ("ruff-lsp-nightly") is looked up on PATH.
    const hit = searchPath(value, env, tried);
    return hit !== undefined
      ? { found: true, path: hit, source: 'setting' }
      : { found: false, reason: `"${value}" was not found on PATH`, tried };
  }
  // On Windows let `C:\x\ruff-lsp` find `C:\x\ruff-lsp.exe`.
  const expanded = candidates.flatMap((c) => executableNames(c, env));
  const hit = firstExecutable(expanded, env, tried);
  return hit !== undefined
    ? { found: true, path: hit, source: 'setting' }
    : { found: false, reason: `the configured path "${req.configured}" is not an executable file`, tried };
}

export function resolveBinary(req: ResolveRequest, env: ResolveEnv): Resolution {
  if (req.configured !== '') {
    return resolveConfigured(req, env);
  }
  const p = pathApi(env.platform);
  const tried: string[] = [];
  if (req.allowWorkspaceBinaries) {
    for (const folder of req.workspaceFolders) {
      for (const dir of WORKSPACE_BUILD_DIRS) {
        const hit = firstExecutable(executableNames(p.join(folder, dir, req.name), env), env, tried);
        if (hit !== undefined) {
          return { found: true, path: hit, source: 'workspace' };
        }
      }
    }
  }
  const hit = searchPath(req.name, env, tried);
  if (hit !== undefined) {
    return { found: true, path: hit, source: 'path' };
  }
  const where = req.allowWorkspaceBinaries
    ? 'in the workspace (target/release, target/debug) or on PATH'
    : 'on PATH (workspace builds are not used in an untrusted workspace)';
  return { found: false, reason: `${req.name} was not found ${where}`, tried };
}

/** The real file-system check behind {@link ResolveEnv.isExecutable}. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    // Windows has no execute bit; existence is what CreateProcess checks.
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** The environment of this extension host process. */
export function processEnv(): ResolveEnv {
  return {
    platform: process.platform,
    pathVariable: process.env['PATH'] ?? process.env['Path'],
    pathExt: process.env['PATHEXT'],
    homeDir: os.homedir(),
    isExecutable: isExecutableFile,
  };
}
