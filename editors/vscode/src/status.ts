// Text of the status bar item, from the server's `wikilink/status` notification.
// No `vscode` import here, so this module can be unit-tested under plain Node.

/** Params of the `wikilink/status` notification (server -> client). */
export interface StatusParams {
  state: 'indexing' | 'ready' | string;
  indexed?: number;
  total?: number;
  notes?: number;
  kbs?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Draw attention (warning background). */
  warning?: boolean;
}

const fmt = new Intl.NumberFormat('en-US');

function n(x: number | undefined): string {
  return fmt.format(typeof x === 'number' && Number.isFinite(x) ? x : 0);
}

function plural(x: number | undefined, one: string, many: string): string {
  return `${n(x)} ${x === 1 ? one : many}`;
}

const CLICK = 'Click to show the Wikilink output.';

export function statusView(p: StatusParams): StatusView {
  if (p.state === 'indexing') {
    const progress = p.total ? ` ${n(p.indexed)}/${n(p.total)}` : '…';
    return {
      text: `$(sync~spin) Wikilink: indexing${progress}`,
      tooltip: `Wikilink is indexing the workspace${p.total ? ` (${n(p.indexed)} of ${n(p.total)} files)` : ''}.\n${CLICK}`,
    };
  }
  const notes = plural(p.notes, 'note', 'notes');
  const kbs = plural(p.kbs, 'KB', 'KBs');
  return {
    text: `$(book) Wikilink: ${notes} · ${kbs}`,
    tooltip: `Wikilink: ${notes} in ${plural(p.kbs, 'knowledge base', 'knowledge bases')}.\n${CLICK}`,
  };
}

export const STARTING: StatusView = { text: '$(sync~spin) Wikilink: starting', tooltip: `Starting the wikilink-lsp server.\n${CLICK}` };
export const RUNNING: StatusView = { text: '$(book) Wikilink', tooltip: `The wikilink-lsp server is running.\n${CLICK}` };
export const STOPPED: StatusView = {
  text: '$(error) Wikilink: stopped',
  tooltip: 'The wikilink-lsp server is not running. Click to show the output; run "Wikilink: Restart Server" to start it again.',
  warning: true,
};
export const NOT_FOUND: StatusView = {
  text: '$(error) Wikilink: server not found',
  tooltip: 'wikilink-lsp was not found. Install it with `cargo install --path .` in the wikilink-lsp repository, or set wikilink.server.path.',
  warning: true,
};
