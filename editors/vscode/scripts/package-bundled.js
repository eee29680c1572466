#!/usr/bin/env node
// `npm run package:bundled [-- --target T] [-- --binary PATH]`: writes the platform-specific
// package wikilink-lsp-<target>-<version>.vsix with the server inside (server/wikilink-lsp[.exe]).
//
// Without --binary it runs `cargo build --release` in the repository (cargo decides whether
// anything is stale) and bundles the binary cargo reports; that only works for the host's own
// target. With --binary it bundles a prebuilt server (CI, release jobs, other targets).
// The universal package (`npx vsce package`) never contains server/: .vscodeignore excludes it,
// and this script packages with a copy of .vscodeignore that does not.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const EXTENSION_DIR = path.resolve(__dirname, '..');
const REPOSITORY_DIR = path.resolve(EXTENSION_DIR, '..', '..');
const SERVER_DIR = path.join(EXTENSION_DIR, 'server');
/** The line of .vscodeignore that keeps the binary out of the universal package. */
const SERVER_IGNORE_LINE = 'server/**';

/** The VS Code targets a platform-specific package can be built for. */
const TARGETS = [
  'win32-x64',
  'win32-arm64',
  'linux-x64',
  'linux-arm64',
  'linux-armhf',
  'alpine-x64',
  'alpine-arm64',
  'darwin-x64',
  'darwin-arm64',
];

/**
 * The VS Code target of a machine, e.g. `linux-x64`; by default this one's. `glibc` is the C
 * library's glibc version, null on a Linux with musl instead (Alpine).
 */
function hostTarget(platform = process.platform, arch = process.arch, glibc = glibcVersion()) {
  const cpu = arch === 'arm' ? 'armhf' : arch;
  // Node's own report names the C library: no glibc version means musl (Alpine).
  const system = platform === 'linux' && glibc == null ? 'alpine' : platform;
  return `${system}-${cpu}`;
}

function glibcVersion() {
  return process.report?.getReport().header.glibcVersionRuntime;
}

/** The server's file name inside a package for `target`. */
function binaryName(target) {
  return target.startsWith('win32-') ? 'wikilink-lsp.exe' : 'wikilink-lsp';
}

/** The text of .vscodeignore for a bundled package: the universal one without `server/**`. */
function bundledIgnore(universalIgnore) {
  const lines = universalIgnore.split(/\r?\n/);
  if (!lines.some((line) => line.trim() === SERVER_IGNORE_LINE)) {
    throw new Error(`.vscodeignore has no "${SERVER_IGNORE_LINE}" line: the universal package would bundle server/`);
  }
  return lines.filter((line) => line.trim() !== SERVER_IGNORE_LINE).join('\n');
}

function parseOptions(argv) {
  const { values } = util.parseArgs({
    args: argv,
    options: { target: { type: 'string' }, binary: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const target = values.target ?? hostTarget();
  if (!TARGETS.includes(target)) {
    throw new Error(`unknown --target ${target}; one of: ${TARGETS.join(', ')}`);
  }
  if (values.binary === undefined && target !== hostTarget()) {
    throw new Error(`cargo builds for ${hostTarget()} here: pass --binary with a wikilink-lsp built for ${target}`);
  }
  return { target, binary: values.binary, help: values.help === true };
}

/** Runs `cargo build --release` and returns the path of the binary cargo reports. */
function cargoBuildRelease() {
  console.log('== cargo build --release (in %s)', REPOSITORY_DIR);
  const result = childProcess.spawnSync(
    'cargo',
    ['build', '--release', '--bin', 'wikilink-lsp', '--message-format=json-render-diagnostics'],
    { cwd: REPOSITORY_DIR, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (result.error) {
    throw new Error(`cannot run cargo (${result.error.message}); install Rust, or pass --binary`);
  }
  if (result.status !== 0) {
    throw new Error(`cargo build --release failed (exit ${result.status})`);
  }
  for (const line of result.stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) {
      continue;
    }
    const message = JSON.parse(line);
    if (message.reason === 'compiler-artifact' && message.target?.name === 'wikilink-lsp' && message.executable) {
      return message.executable;
    }
  }
  throw new Error('cargo reported no wikilink-lsp executable');
}

/** Runs vsce from this extension's own dependencies (no shell, so the same on Windows). */
function vsce(args) {
  const cli = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  const result = childProcess.spawnSync(process.execPath, [cli, ...args], { cwd: EXTENSION_DIR, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`vsce ${args.join(' ')} failed (exit ${result.status})`);
  }
}

function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log('usage: npm run package:bundled -- [--target VSCODE_TARGET] [--binary PATH]');
    console.log(`targets: ${TARGETS.join(', ')} (default: ${hostTarget()})`);
    return;
  }
  const version = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')).version;
  const binary = path.resolve(options.binary ?? cargoBuildRelease());
  if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`no server binary at ${binary}`);
  }
  if (options.target === hostTarget()) {
    const shown = childProcess.execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    console.log('== bundling %s: %s', binary, shown);
  } else {
    console.log('== bundling %s (built for %s, not run here)', binary, options.target);
  }

  const output = `wikilink-lsp-${options.target}-${version}.vsix`;
  const ignoreDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wikilink-vsix-'));
  const ignoreFile = path.join(ignoreDir, '.vscodeignore');
  try {
    fs.rmSync(SERVER_DIR, { recursive: true, force: true });
    fs.mkdirSync(SERVER_DIR);
    const bundled = path.join(SERVER_DIR, binaryName(options.target));
    fs.copyFileSync(binary, bundled);
    // The mode is stored in the .vsix; the extension restores it too if unpacking loses it.
    fs.chmodSync(bundled, 0o755);
    fs.writeFileSync(ignoreFile, bundledIgnore(fs.readFileSync(path.join(EXTENSION_DIR, '.vscodeignore'), 'utf8')));
    vsce(['package', '--target', options.target, '--ignoreFile', ignoreFile, '--out', output]);
  } finally {
    // server/ only ever exists while packaging, so no stale binary is left for a later build.
    fs.rmSync(SERVER_DIR, { recursive: true, force: true });
    fs.rmSync(ignoreDir, { recursive: true, force: true });
  }
  const size = fs.statSync(path.join(EXTENSION_DIR, output)).size;
  console.log('== wrote %s (%s MB)', path.join(EXTENSION_DIR, output), (size / 1e6).toFixed(1));
}

module.exports = { TARGETS, binaryName, bundledIgnore, hostTarget, parseOptions };

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`package:bundled: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
