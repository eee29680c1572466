import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandPath, findOnPath, resolveServer } from '../server';

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
