// Finding the wikilink-lsp binary. No `vscode` import here, so this module can
// be unit-tested under plain Node (see src/test/).
import * as fs from 'fs';
import * as path from 'path';

export const SERVER_NAME = 'wikilink-lsp';

export interface ResolveInput {
  /** The `wikilink.server.path` setting ('' when unset). */
  configured: string;
  /** The extension's own folder, which holds `server/wikilink-lsp[.exe]` in a platform-specific package. */
  extensionPath?: string;
  /** First workspace folder (for `${workspaceFolder}` and relative paths). */
  workspaceFolder?: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

export type Source = 'setting' | 'bundled' | 'PATH' | 'cargo';

export type Resolution =
  | { kind: 'found'; path: string; source: Source }
  /** The setting names a file that does not exist or is not executable. */
  | { kind: 'bad-setting'; path: string }
  /** Nothing set and nothing found; `searched` lists the directories looked in. */
  | { kind: 'not-found'; searched: string[] };

export type IsExecutable = (file: string) => boolean;

/** How the output channel names where the server was found. */
export function describeSource(source: Source): string {
  switch (source) {
    case 'setting':
      return 'the wikilink.server.path setting';
    case 'bundled':
      return 'the binary bundled with the extension';
    case 'PATH':
      return 'PATH';
    case 'cargo':
      return 'the cargo bin folder';
  }
}

export function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Like `isExecutable`, but first sets the execute bits of a file that lacks them: unpacking a
 * `.vsix` does not always keep the mode of the bundled binary.
 */
export function ensureExecutable(file: string): boolean {
  if (isExecutable(file)) {
    return true;
  }
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    fs.chmodSync(file, stat.mode | 0o111);
  } catch {
    return false;
  }
  return isExecutable(file);
}

/** Where a platform-specific package keeps the server: `<extension>/server/wikilink-lsp[.exe]`. */
export function bundledServerPath(extensionPath: string, platform: NodeJS.Platform): string {
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  return join(extensionPath, 'server', platform === 'win32' ? `${SERVER_NAME}.exe` : SERVER_NAME);
}

/** Expands `~`, `${workspaceFolder}` and `${userHome}`; relative paths are taken from the workspace folder. */
export function expandPath(p: string, input: Pick<ResolveInput, 'workspaceFolder' | 'home'>): string {
  let out = p.trim();
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = input.home + out.slice(1);
  }
  out = out.replace(/\$\{userHome\}/g, input.home);
  if (input.workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, input.workspaceFolder);
    if (!path.isAbsolute(out)) {
      out = path.join(input.workspaceFolder, out);
    }
  }
  return out;
}

function pathDirs(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  // On Windows the variable is usually spelled `Path`.
  const key = Object.keys(env).find((k) => (platform === 'win32' ? k.toUpperCase() === 'PATH' : k === 'PATH'));
  const raw = key ? env[key] ?? '' : '';
  const sep = platform === 'win32' ? ';' : ':';
  return raw
    .split(sep)
    .map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
    .filter((d) => d.length > 0);
}

function candidates(dir: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (platform !== 'win32') {
    return [join(dir, SERVER_NAME)];
  }
  const exts = (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e.length > 0);
  return [join(dir, SERVER_NAME), ...exts.map((e) => join(dir, SERVER_NAME + e.toLowerCase()))];
}

/** Looks for `wikilink-lsp` in the PATH directories, in order. */
export function findOnPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, isExec: IsExecutable = isExecutable): string | undefined {
  for (const dir of pathDirs(env, platform)) {
    for (const file of candidates(dir, platform, env)) {
      if (isExec(file)) {
        return file;
      }
    }
  }
  return undefined;
}

/**
 * The setting `wikilink.server.path` wins; else the binary bundled with a platform-specific
 * package (`ensureExec` may first restore its execute bits); else `wikilink-lsp` on PATH; else
 * `~/.cargo/bin/wikilink-lsp` (where `cargo install` puts it, and which a VS Code started from
 * a desktop launcher often does not have on its PATH).
 */
export function resolveServer(
  input: ResolveInput,
  isExec: IsExecutable = isExecutable,
  ensureExec: IsExecutable = ensureExecutable,
): Resolution {
  if (input.configured.trim() !== '') {
    const p = expandPath(input.configured, input);
    return isExec(p) ? { kind: 'found', path: p, source: 'setting' } : { kind: 'bad-setting', path: p };
  }
  const searched: string[] = [];
  if (input.extensionPath !== undefined) {
    const bundled = bundledServerPath(input.extensionPath, input.platform);
    if (ensureExec(bundled)) {
      return { kind: 'found', path: bundled, source: 'bundled' };
    }
    searched.push((input.platform === 'win32' ? path.win32 : path.posix).dirname(bundled));
  }
  const onPath = findOnPath(input.env, input.platform, isExec);
  if (onPath) {
    return { kind: 'found', path: onPath, source: 'PATH' };
  }
  const cargoHome = input.env.CARGO_HOME && input.env.CARGO_HOME !== '' ? input.env.CARGO_HOME : path.join(input.home, '.cargo');
  const cargoBin = path.join(cargoHome, 'bin');
  for (const file of candidates(cargoBin, input.platform, input.env)) {
    if (isExec(file)) {
      return { kind: 'found', path: file, source: 'cargo' };
    }
  }
  return { kind: 'not-found', searched: [...searched, ...pathDirs(input.env, input.platform), cargoBin] };
}
