// Entry point: wires settings, the status bar, the language server and the
// commands together. The behaviour lives in the modules it imports.

import * as vscode from 'vscode';
import { COMMANDS, registerCommands, TRUSTED_COMMANDS } from './commands';
import { configurationImpact, readSettings, RuffSettings, SECTION } from './config';
import { ServerController } from './server';
import { ServerStatusBar } from './status';

let server: ServerController | undefined;

function currentSettings(): RuffSettings {
  return readSettings(vscode.workspace.getConfiguration(SECTION));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverOutput = vscode.window.createOutputChannel('Ruff Language Server');
  const profilerOutput = vscode.window.createOutputChannel('Ruff Profiler');
  const status = new ServerStatusBar(COMMANDS.showOutput);
  context.subscriptions.push(serverOutput, profilerOutput, status);

  // The commands that check trust themselves must stay on the client even
  // when the server advertises them (see keepCommandsClientSide).
  const controller = new ServerController(status, serverOutput, TRUSTED_COMMANDS, currentSettings);
  server = controller;

  registerCommands(context, {
    server: controller,
    settings: currentSettings,
    storageDir: (context.storageUri ?? context.globalStorageUri).fsPath,
    profilerOutput,
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      switch (configurationImpact((key) => e.affectsConfiguration(key))) {
        case 'restart':
          void controller.restart();
          break;
        case 'notify':
          void controller.notifyConfiguration();
          break;
        case 'none':
          break;
      }
    }),
    // Trusting the workspace makes its target/ builds eligible; the server
    // may have been started from PATH (or not at all) before.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void controller.restart();
    }),
  );

  // Activation does not wait for the server: highlighting and commands work
  // at once, and a missing ruff-lsp shows up in the status bar.
  void controller.start();
}

export async function deactivate(): Promise<void> {
  const s = server;
  server = undefined;
  await s?.dispose();
}
