// The `wikilink` settings a user has set, as the nested JSON the server reads. Only values set
// in some scope (user, workspace, folder) are sent, never the defaults: a setting left unset
// keeps what the workspace's `.wikilink.toml` says (the server lays editor settings over it).

/** What `WorkspaceConfiguration.inspect` tells about one setting (the scopes that matter here). */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The settings set explicitly, nested by their dotted names: `completion.maxItems` set to 20
 * gives `{ completion: { maxItems: 20 } }`. `keys` are the names below `wikilink.`; those
 * starting with one of `clientOnly` (read by the extension, not the server) are left out.
 */
export function explicitSettings(
  keys: string[],
  inspect: (key: string) => Inspected | undefined,
  clientOnly: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (clientOnly.some((prefix) => key === prefix || key.startsWith(`${prefix}.`))) {
      continue;
    }
    const found = inspect(key);
    const value = found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
    if (value === undefined) {
      continue;
    }
    const path = key.split('.');
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (next === null || typeof next !== 'object') {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

/** The setting names (below `wikilink.`) that the extension's package.json contributes. */
export function contributedKeys(packageJson: unknown, section: string): string[] {
  const properties = (packageJson as { contributes?: { configuration?: { properties?: object } } })
    ?.contributes?.configuration?.properties;
  return Object.keys(properties ?? {})
    .filter((name) => name.startsWith(`${section}.`))
    .map((name) => name.slice(section.length + 1));
}
