// Glue between the pure path resolution (serverPath.ts) and VS Code: which
// folders are open, whether they are trusted, and how a missing binary is
// reported.

import * as vscode from 'vscode';
import { SECTION } from './config';
import { processEnv, resolveBinary, Resolution, ResolveEnv } from './serverPath';

export type ToolName = 'ruff-lsp' | 'ruff' | 'ruff-prof';

/** The setting (relative to `ruffLang.`) that overrides each tool's location. */
export const TOOL_SETTING: Record<ToolName, string> = {
  'ruff-lsp': 'server.path',
  ruff: 'ruffPath',
  'ruff-prof': 'profPath',
};

export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => f.uri.fsPath);
}

export function resolveTool(name: ToolName, configured: string, env: ResolveEnv = processEnv()): Resolution {
  return resolveBinary(
    {
      name,
      configured,
      workspaceFolders: workspaceFolderPaths(),
      allowWorkspaceBinaries: vscode.workspace.isTrusted,
    },
    env,
  );
}

/** Shows why a tool was not found, with a button to the setting that fixes it. */
export async function reportMissingTool(name: ToolName, resolution: Resolution): Promise<void> {
  if (resolution.found) {
    return;
  }
  const setting = `${SECTION}.${TOOL_SETTING[name]}`;
  const choice = await vscode.window.showErrorMessage(
    `Ruff: cannot find ${name}: ${resolution.reason}. Set "${setting}" to its path.`,
    'Open Settings',
  );
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', setting);
  }
}
