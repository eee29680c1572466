import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusView } from '../status';

test('indexing shows progress', () => {
  assert.equal(statusView({ state: 'indexing', indexed: 123, total: 4000, notes: 0, kbs: 0 }).text, '$(sync~spin) Wikilink: indexing 123/4,000');
  assert.equal(statusView({ state: 'indexing', indexed: 0, total: 0 }).text, '$(sync~spin) Wikilink: indexing…');
});

test('ready shows notes and KBs', () => {
  assert.equal(statusView({ state: 'ready', indexed: 4391, total: 4391, notes: 4391, kbs: 8 }).text, '$(book) Wikilink: 4,391 notes · 8 KBs');
  assert.equal(statusView({ state: 'ready', notes: 1, kbs: 1 }).text, '$(book) Wikilink: 1 note · 1 KB');
  assert.equal(statusView({ state: 'ready', notes: 12, kbs: 0 }).text, '$(book) Wikilink: 12 notes · 0 KBs');
});
