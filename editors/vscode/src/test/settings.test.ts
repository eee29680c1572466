import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { contributedKeys, explicitSettings } from '../settings';

const keys = ['server.path', 'trace.server', 'completion.maxItems', 'diagnostics.severity', 'diagnostics.workspace', 'codeLens.backlinks'];

test('only values set in some scope are sent, nested, the narrowest scope winning', () => {
  const set: Record<string, object> = {
    'server.path': { globalValue: '/bin/wikilink-lsp' },
    'completion.maxItems': { globalValue: 20, workspaceValue: 30 },
    'diagnostics.severity': { workspaceFolderValue: { 'broken-link': 'error' }, globalValue: { 'broken-link': 'hint' } },
    'codeLens.backlinks': { globalValue: false },
  };
  assert.deepEqual(explicitSettings(keys, (key) => set[key], ['server', 'trace']), {
    completion: { maxItems: 30 },
    diagnostics: { severity: { 'broken-link': 'error' } },
    codeLens: { backlinks: false },
  });
});

test('nothing set: nothing sent, so a .wikilink.toml applies', () => {
  assert.deepEqual(explicitSettings(keys, () => ({}), ['server', 'trace']), {});
});

test('the keys come from package.json', () => {
  const packageJson = { contributes: { configuration: { properties: { 'wikilink.exclude': {}, 'wikilink.inlayHints.enabled': {}, 'other.x': {} } } } };
  assert.deepEqual(contributedKeys(packageJson, 'wikilink'), ['exclude', 'inlayHints.enabled']);
});
