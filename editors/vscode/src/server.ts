// Owns the vscode-languageclient `LanguageClient` that talks to ruff-lsp
// over stdio: start, stop, restart, configuration pushes, and sending
// `workspace/executeCommand` for the commands the extension registers itself.

import * as vscode from 'vscode';
import {
  CancellationToken,
  DidChangeConfigurationNotification,
  ExecuteCommandOptions,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RegistrationData,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { didChangeConfigurationParams, initializationOptions, RuffSettings, SECTION } from './config';
import { ServerStatusBar, statusAfterStateChange } from './status';
import { reportMissingTool, resolveTool } from './tools';

/** The part of the client's executeCommand feature that we intercept. */
export interface CommandRegistrar {
  register(data: RegistrationData<ExecuteCommandOptions>): void;
}

/**
 * vscode-languageclient registers a VS Code command for every command the
 * server lists in `executeCommandProvider.commands`. If ruff-lsp lists
 * `ruffLang.runWithJitInsight` — which the extension registers itself to
 * check workspace trust, save the file and fill in the arguments before
 * forwarding it — that registration throws "command already exists" and the
 * client fails to start. So the feature is told to skip the commands the
 * extension owns; any other server command still becomes a VS Code command.
 */
export function keepCommandsClientSide(feature: CommandRegistrar, owned: ReadonlySet<string>): void {
  const register = feature.register.bind(feature);
  feature.register = (data) => {
    const commands = (data.registerOptions.commands ?? []).filter((c) => !owned.has(c));
    register({ ...data, registerOptions: { ...data.registerOptions, commands } });
  };
}

export function createServerOptions(command: string, settings: RuffSettings, cwd: string | undefined): ServerOptions {
  return {
    command,
    args: [...settings.serverExtraArgs],
    transport: TransportKind.stdio,
    options: cwd === undefined ? {} : { cwd },
  };
}

export function createClientOptions(settings: RuffSettings, output: vscode.OutputChannel): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: 'file', language: 'ruff' },
      { scheme: 'untitled', language: 'ruff' },
    ],
    initializationOptions: initializationOptions(settings),
    outputChannel: output,
    // The output channel is where a failing server explains itself; opening
    // it on every error would steal focus while the user types broken code.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  // start/stop/restart run one at a time: a restart clicked while the
  // server is still starting must wait for that start, not race it.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly status: ServerStatusBar,
    private readonly output: vscode.OutputChannel,
    private readonly ownedCommands: ReadonlySet<string>,
    private readonly settings: () => RuffSettings,
  ) {}

  isRunning(): boolean {
    return this.client?.isRunning() ?? false;
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

  showOutput(): void {
    this.output.show(true);
  }

  /** Pushes the current settings to a running server. */
  async notifyConfiguration(): Promise<void> {
    if (this.client?.isRunning() === true) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, didChangeConfigurationParams(this.settings()));
    }
  }

  /** Sends `workspace/executeCommand`; throws if the server is not running. */
  async executeCommand(command: string, args: unknown[], token?: CancellationToken): Promise<unknown> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      throw new Error('the Ruff language server is not running');
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token);
  }

  async dispose(): Promise<void> {
    await this.stop();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    // Keep the chain alive after a failure; callers still see the rejection.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.client !== undefined) {
      return;
    }
    const settings = this.settings();
    const resolution = resolveTool('ruff-lsp', settings.serverPath);
    if (!resolution.found) {
      this.status.set('error', resolution.reason);
      this.output.appendLine(`[ruff] ${resolution.reason}; tried:\n  ${resolution.tried.join('\n  ')}`);
      void reportMissingTool('ruff-lsp', resolution);
      return;
    }
    this.output.appendLine(`[ruff] starting ${resolution.path} (from ${resolution.source})`);
    const folders = vscode.workspace.workspaceFolders;
    const cwd = folders !== undefined && folders.length > 0 && folders[0]!.uri.scheme === 'file' ? folders[0]!.uri.fsPath : undefined;

    this.status.set('starting', resolution.path);
    try {
      // The id `ruffLang` makes the client read `ruffLang.trace.server` itself.
      const client = new LanguageClient(
        SECTION,
        'Ruff Language Server',
        createServerOptions(resolution.path, settings, cwd),
        createClientOptions(settings, this.output),
      );
      keepCommandsClientSide(client.getFeature(ExecuteCommandRequest.method), this.ownedCommands);
      client.onDidChangeState((e) => {
        // Events of a client being stopped on purpose arrive after doStop()
        // detached it; they must not paint the new client's status.
        if (this.client === client) {
          this.status.set(statusAfterStateChange(e.newState), resolution.path);
        }
      });
      this.client = client;
      await client.start();
    } catch (err) {
      // Callers fire and forget start(), so this is the only place a
      // failure can be reported.
      const message = err instanceof Error ? err.message : String(err);
      this.status.set('error', message);
      this.output.appendLine(`[ruff] the language server failed to start: ${message}`);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      // dispose() shuts the server down politely (2 s, then it is killed)
      // whatever state the client is in, and unregisters its providers.
      await client.dispose(2000);
    } catch (err) {
      this.output.appendLine(`[ruff] stopping the language server: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.status.set('stopped');
    }
  }
}
