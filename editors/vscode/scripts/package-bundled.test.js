// Unit tests of the pure parts of package-bundled.js: target names, the binary's file name,
// the bundled package's ignore list and the option checks. Nothing is built or packaged here.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { TARGETS, binaryName, bundledIgnore, hostTarget, parseOptions } = require('./package-bundled');

test('hostTarget names VS Code targets, Alpine where there is no glibc', () => {
  assert.equal(hostTarget('linux', 'x64', '2.36'), 'linux-x64');
  assert.equal(hostTarget('linux', 'arm64', '2.36'), 'linux-arm64');
  assert.equal(hostTarget('linux', 'arm', '2.36'), 'linux-armhf');
  assert.equal(hostTarget('linux', 'x64', null), 'alpine-x64');
  assert.equal(hostTarget('darwin', 'arm64', null), 'darwin-arm64');
  assert.equal(hostTarget('win32', 'x64', null), 'win32-x64');
  assert.ok(TARGETS.includes(hostTarget()), `this machine's target ${hostTarget()} is a known one`);
});

test('the server is wikilink-lsp.exe on Windows only', () => {
  assert.equal(binaryName('win32-x64'), 'wikilink-lsp.exe');
  assert.equal(binaryName('linux-x64'), 'wikilink-lsp');
  assert.equal(binaryName('darwin-arm64'), 'wikilink-lsp');
});

test('the bundled package ignores what the universal one does, except server/', () => {
  const universal = fs.readFileSync(path.join(__dirname, '..', '.vscodeignore'), 'utf8');
  const bundled = bundledIgnore(universal);
  assert.ok(universal.split('\n').includes('server/**'), 'the universal package leaves server/ out');
  assert.ok(!bundled.split('\n').includes('server/**'));
  assert.deepEqual(
    bundled.split('\n'),
    universal.split('\n').filter((line) => line !== 'server/**'),
  );
  assert.throws(() => bundledIgnore('src/**\n'), /no "server\/\*\*" line/);
});

test('options: the host target by default, other targets only with a prebuilt --binary', () => {
  assert.deepEqual(parseOptions([]), { target: hostTarget(), binary: undefined, help: false });
  const other = hostTarget() === 'win32-x64' ? 'darwin-arm64' : 'win32-x64';
  assert.throws(() => parseOptions(['--target', other]), /pass --binary/);
  assert.deepEqual(parseOptions(['--target', other, '--binary', 'w.exe']), { target: other, binary: 'w.exe', help: false });
  assert.throws(() => parseOptions(['--target', 'beos-x64', '--binary', 'b']), /unknown --target/);
  assert.throws(() => parseOptions(['--bogus']), /Unknown option/);
});
