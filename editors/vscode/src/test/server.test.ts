import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { bundledServerPath, ensureExecutable, expandPath, findOnPath, resolveServer } from '../server';

const exists = (files: string[]) => (f: string) => files.includes(f);
const base = { configured: '', env: { PATH: '/usr/local/bin:/usr/bin' }, platform: 'linux' as const, home: '/home/u' };

test('the setting wins over PATH', () => {
  const r = resolveServer({ ...base, configured: '/opt/wl/wikilink-lsp' }, exists(['/opt/wl/wikilink-lsp', '/usr/bin/wikilink-lsp']));
  assert.deepEqual(r, { kind: 'found', path: '/opt/wl/wikilink-lsp', source: 'setting' });
});

test('a setting that names no executable is reported, not silently replaced by PATH', () => {
  const r = resolveServer({ ...base, configured: '~/bin/wikilink-lsp' }, exists(['/usr/bin/wikilink-lsp']));
  assert.deepEqual(r, { kind: 'bad-setting', path: '/home/u/bin/wikilink-lsp' });
});

const extension = { ...base, extensionPath: '/ext/wikilink-lsp-0.1.0' };
const bundled = '/ext/wikilink-lsp-0.1.0/server/wikilink-lsp';

test('resolution order: setting, bundled binary, PATH, ~/.cargo/bin', () => {
  const all = ['/opt/wl/wikilink-lsp', bundled, '/usr/bin/wikilink-lsp', '/home/u/.cargo/bin/wikilink-lsp'];
  const found = (files: string[], configured = '') => {
    const r = resolveServer({ ...extension, configured }, exists(files), exists(files));
    return r.kind === 'found' ? r.source : r.kind;
  };
  assert.equal(found(all, '/opt/wl/wikilink-lsp'), 'setting');
  assert.equal(found(all), 'bundled');
  assert.equal(found(all.slice(2)), 'PATH');
  assert.equal(found(all.slice(3)), 'cargo');
  assert.equal(found([]), 'not-found');
});

test('the bundled binary is used even when another one is on PATH', () => {
  const r = resolveServer(extension, exists(['/usr/bin/wikilink-lsp']), exists([bundled]));
  assert.deepEqual(r, { kind: 'found', path: bundled, source: 'bundled' });
});

test('a bad setting is reported even when a bundled binary exists', () => {
  const r = resolveServer({ ...extension, configured: '/nowhere/wikilink-lsp' }, exists([]), exists([bundled]));
  assert.deepEqual(r, { kind: 'bad-setting', path: '/nowhere/wikilink-lsp' });
});

test('the bundled binary is checked with ensureExec (which may restore its mode), PATH with isExec', () => {
  const asked: string[] = [];
  const ensure = (f: string) => {
    asked.push(f);
    return false;
  };
  const r = resolveServer(extension, exists(['/usr/bin/wikilink-lsp']), ensure);
  assert.deepEqual(asked, [bundled]);
  assert.deepEqual(r, { kind: 'found', path: '/usr/bin/wikilink-lsp', source: 'PATH' });
});

test('a universal package (no bundled binary) lists the server folder first among the places searched', () => {
  assert.deepEqual(resolveServer(extension, exists([]), exists([])), {
    kind: 'not-found',
    searched: ['/ext/wikilink-lsp-0.1.0/server', '/usr/local/bin', '/usr/bin', '/home/u/.cargo/bin'],
  });
});

test('bundledServerPath: .exe on Windows', () => {
  assert.equal(bundledServerPath('/ext/w', 'linux'), '/ext/w/server/wikilink-lsp');
  assert.equal(bundledServerPath('/ext/w', 'darwin'), '/ext/w/server/wikilink-lsp');
  assert.equal(bundledServerPath('C:\\ext\\w', 'win32'), 'C:\\ext\\w\\server\\wikilink-lsp.exe');
});

test('ensureExecutable restores the execute bits a .vsix unpacking dropped', { skip: process.platform === 'win32' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wikilink-test-'));
  try {
    const file = path.join(dir, 'wikilink-lsp');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    assert.equal(ensureExecutable(file), true);
    assert.equal(fs.statSync(file).mode & 0o777, 0o755);
    assert.equal(ensureExecutable(path.join(dir, 'missing')), false);
    assert.equal(ensureExecutable(dir), false, 'a folder is not a server');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('PATH is searched in order', () => {
  const r = resolveServer(base, exists(['/usr/bin/wikilink-lsp', '/usr/local/bin/wikilink-lsp']));
  assert.deepEqual(r, { kind: 'found', path: '/usr/local/bin/wikilink-lsp', source: 'PATH' });
});

test('~/.cargo/bin is the last resort, CARGO_HOME respected', () => {
  assert.deepEqual(resolveServer(base, exists(['/home/u/.cargo/bin/wikilink-lsp'])), {
    kind: 'found',
    path: '/home/u/.cargo/bin/wikilink-lsp',
    source: 'cargo',
  });
  const env = { ...base.env, CARGO_HOME: '/opt/cargo' };
  assert.deepEqual(resolveServer({ ...base, env }, exists(['/opt/cargo/bin/wikilink-lsp'])).kind, 'found');
});

test('not found lists where it looked', () => {
  assert.deepEqual(resolveServer(base, exists([])), {
    kind: 'not-found',
    searched: ['/usr/local/bin', '/usr/bin', '/home/u/.cargo/bin'],
  });
});

test('Windows: Path spelling and PATHEXT', () => {
  const env = { Path: 'C:\\tools;"C:\\Program Files\\wl"', PATHEXT: '.COM;.EXE' };
  assert.equal(findOnPath(env, 'win32', exists(['C:\\Program Files\\wl\\wikilink-lsp.exe'])), 'C:\\Program Files\\wl\\wikilink-lsp.exe');
});

test('expandPath: ~, ${workspaceFolder}, relative paths', () => {
  const ctx = { home: '/home/u', workspaceFolder: '/ws' };
  assert.equal(expandPath('~/x', ctx), '/home/u/x');
  assert.equal(expandPath('${workspaceFolder}/target/debug/wikilink-lsp', ctx), '/ws/target/debug/wikilink-lsp');
  assert.equal(expandPath('target/release/wikilink-lsp', ctx), '/ws/target/release/wikilink-lsp');
  assert.equal(expandPath('  /abs/wikilink-lsp ', ctx), '/abs/wikilink-lsp');
});
