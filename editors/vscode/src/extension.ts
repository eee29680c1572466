// VS Code client for wikilink-lsp: starts the server over stdio for markdown
// files, forwards the `wikilink` settings the user set, watches every file (notes,
// kb.yaml and .wikilink.toml files, and attachments, which are link targets too),
// shows the server's indexing state in the status bar and turns the backlinks code
// lens into VS Code's references view.
import { execFile } from 'child_process';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { describeSource, Resolution, resolveServer, SERVER_NAME } from './server';
import { contributedKeys, explicitSettings } from './settings';
import { NOT_FOUND, RUNNING, STARTING, STOPPED, StatusParams, StatusView, statusView } from './status';

/** Settings section; also the client id, so `wikilink.trace.server` is honoured by vscode-languageclient. */
const SECTION = 'wikilink';
/** Settings read only by this extension, not sent to the server. */
const CLIENT_ONLY = ['server', 'trace'];

const INSTALL_HINT =
  'Install the Wikilink package for your platform (it has the server inside), put wikilink-lsp from a ' +
  'release archive on PATH, or set "wikilink.server.path" to the binary.';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  settingKeys = contributedKeys(context.extension.packageJSON, SECTION);
  controller = new Controller(context);
  await controller.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}

/** The server-side `wikilink` settings the user set (see settings.ts), from package.json's list. */
let settingKeys: string[] = [];

/** The `wikilink` settings the user set, as plain JSON, without the client-only settings. */
export function serverSettings(): Record<string, unknown> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  return explicitSettings(settingKeys, (key) => configuration.inspect(key), CLIENT_ONLY);
}

/** The first line `SERVER --version` prints, or why it printed none; never rejects. */
function serverVersion(server: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(server, ['--version'], { timeout: 5000, windowsHide: true }, (error, stdout) => {
      const line = String(stdout).split(/\r?\n/)[0].trim();
      resolve(line !== '' ? line : `--version failed: ${error?.message ?? 'no output'}`);
    });
  });
}

class Controller {
  private client: LanguageClient | undefined;
  private readonly output: vscode.OutputChannel;
  private readonly status: vscode.StatusBarItem;
  private readonly watchers: vscode.FileSystemWatcher[];
  /** Serializes start/stop/restart so that quick successive restarts do not race. */
  private queue: Promise<void> = Promise.resolve();
  private gotStatus = false;

  private readonly extensionPath: string;

  constructor(context: vscode.ExtensionContext) {
    this.extensionPath = context.extensionPath;
    this.output = vscode.window.createOutputChannel('Wikilink');
    this.status = vscode.window.createStatusBarItem('wikilink.status', vscode.StatusBarAlignment.Left, 0);
    this.status.name = 'Wikilink';
    this.status.command = 'wikilink.showOutput';
    this.watchers = [
      // Every file: notes, kb.yaml files and attachments (images, PDFs, … are link targets).
      vscode.workspace.createFileSystemWatcher('**/*'),
    ];
    context.subscriptions.push(
      this.output,
      this.status,
      ...this.watchers,
      vscode.commands.registerCommand('wikilink.showOutput', () => this.output.show(true)),
      vscode.commands.registerCommand('wikilink.restartServer', () => this.restart()),
      // The backlinks code lens: the server sends LSP JSON (a URI string, a position,
      // locations); VS Code's references view wants its own types.
      vscode.commands.registerCommand('wikilink.showReferences', (uri: string, position: unknown, locations: unknown[]) =>
        this.showReferences(uri, position, locations),
      ),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.server.path`)) {
          this.log('wikilink.server.path changed; restarting the server');
          void this.restart();
        } else if (e.affectsConfiguration(SECTION)) {
          // Tell the server without the values: it pulls them (workspace/configuration,
          // answered below with only the settings the user set, never the defaults, which
          // would hide the workspace's .wikilink.toml).
          void this.client?.sendNotification('workspace/didChangeConfiguration', { settings: null });
        }
      }),
    );
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async showReferences(uri: string, position: unknown, locations: unknown[]): Promise<void> {
    const client = this.client;
    if (!client) {
      return;
    }
    const convert = client.protocol2CodeConverter;
    await vscode.commands.executeCommand(
      'editor.action.showReferences',
      convert.asUri(uri),
      convert.asPosition(position as Parameters<typeof convert.asPosition>[0]),
      (locations ?? []).map((location) => convert.asLocation(location as Parameters<typeof convert.asLocation>[0])),
    );
  }

  private log(message: string): void {
    this.output.appendLine(`[client ${new Date().toISOString()}] ${message}`);
  }

  private show(view: StatusView): void {
    this.status.text = view.text;
    this.status.tooltip = view.tooltip;
    this.status.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.status.show();
  }

  private findServer(): Resolution {
    const configured = vscode.workspace.getConfiguration(SECTION).get<string>('server.path', '') ?? '';
    return resolveServer({
      configured,
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      extensionPath: this.extensionPath,
      env: process.env,
      platform: process.platform,
      home: os.homedir(),
    });
  }

  private async doStart(): Promise<void> {
    const found = this.findServer();
    if (found.kind !== 'found') {
      this.reportMissing(found);
      return;
    }
    this.show(STARTING);
    this.log(`starting ${found.path} (found via ${describeSource(found.source)}): ${await serverVersion(found.path)}`);
    this.gotStatus = false;

    const run: Executable = {
      command: found.path,
      args: [],
      options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, env: { ...process.env } },
    };
    const serverOptions: ServerOptions = { run, debug: run };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'markdown' },
        { scheme: 'untitled', language: 'markdown' },
      ],
      synchronize: {
        // Not `configurationSection`: it would push every setting with its default. A change
        // is announced in onDidChangeConfiguration above and the server pulls the settings.
        fileEvents: this.watchers,
      },
      // A function, so that a restart (also an automatic one after a crash) sends the current settings.
      initializationOptions: () => serverSettings(),
      outputChannel: this.output, // the server's stderr goes here, and so does the trace
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      markdown: { isTrusted: false, supportHtml: false },
      middleware: {
        workspace: {
          // answer workspace/configuration for `wikilink` without the client-only keys
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return result.map((value, i) => (params.items[i]?.section === SECTION ? serverSettings() : value));
          },
        },
      },
      initializationFailedHandler: (error) => {
        this.log(`initialize failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
    };

    const client = new LanguageClient(SECTION, 'Wikilink', serverOptions, clientOptions);
    this.client = client;
    client.onNotification('wikilink/status', (params: StatusParams) => {
      this.gotStatus = true;
      this.show(statusView(params));
    });
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Starting) {
        this.show(STARTING);
      } else if (e.newState === State.Stopped) {
        this.show(STOPPED);
      }
    });

    try {
      await client.start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log(`the server failed to start: ${message}`);
      this.show(STOPPED);
      void vscode.window
        .showErrorMessage(`Wikilink: the language server (${found.path}) failed to start: ${message}`, 'Show Output', 'Open Settings')
        .then((choice) => this.onChoice(choice));
      return;
    }
    const info = client.initializeResult?.serverInfo;
    this.log(`server running: ${info ? `${info.name} ${info.version ?? ''}`.trim() : SERVER_NAME}`);
    if (!this.gotStatus) {
      this.show(RUNNING);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    try {
      // stop = shutdown request + exit notification, then the process is killed if it lingers
      await client.dispose(5000);
    } catch (err) {
      this.log(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.show(STOPPED);
  }

  private reportMissing(found: Exclude<Resolution, { kind: 'found' }>): void {
    let message: string;
    if (found.kind === 'bad-setting') {
      message = `Wikilink: "wikilink.server.path" is set to ${found.path}, which is not an executable file. ${INSTALL_HINT}`;
    } else {
      message = `Wikilink: the language server "${SERVER_NAME}" was not found (this package has none inside, and it is not on PATH). ${INSTALL_HINT}`;
      this.log(`looked for ${SERVER_NAME} in: ${found.searched.join(', ')}`);
    }
    this.log(message);
    this.show(NOT_FOUND);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => this.onChoice(choice));
  }

  private onChoice(choice: string | undefined): void {
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
    } else if (choice === 'Show Output') {
      this.output.show(true);
    }
  }
}
