// Typed access to the `vscode` stub (test/stub/vscode.js) and shared fixtures.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface StubStatusBarItem {
  id: string | undefined;
  text: string;
  tooltip: string | undefined;
  command: string | undefined;
  backgroundColor: { id: string } | undefined;
  visible: boolean;
  disposed: boolean;
}

export interface StubOutputChannel {
  name: string;
  text: string;
  shown: number;
}

export interface StubTerminal {
  name: string;
  options: { shellPath?: string; shellArgs?: string[]; cwd?: string };
  shown: boolean;
}

export interface StubMessage {
  kind: 'info' | 'warning' | 'error';
  text: string;
  items: string[];
}

export interface StubWebviewPanel {
  viewType: string;
  title: string;
  options: { enableScripts?: boolean; localResourceRoots?: unknown[] };
  webview: { html: string; cspSource: string };
  revealed: number;
  dispose(): void;
}

export interface StubState {
  trusted: boolean;
  config: Record<string, unknown>;
  workspaceFolders: { uri: vscode.Uri; name: string; index: number }[] | undefined;
  activeTextEditor: { document: StubDocument } | undefined;
  textDocuments: StubDocument[];
  commands: Map<string, (...args: unknown[]) => unknown>;
  executedCommands: { id: string; args: unknown[] }[];
  statusBarItems: StubStatusBarItem[];
  outputChannels: StubOutputChannel[];
  terminals: StubTerminal[];
  messages: StubMessage[];
  messageChoice: string | undefined;
  webviewPanels: StubWebviewPanel[];
  onDidChangeConfiguration: { fire(e: { affectsConfiguration(key: string): boolean }): void };
  onDidGrantWorkspaceTrust: { fire(e: undefined): void };
}

export interface StubDocument {
  uri: vscode.Uri;
  languageId: string;
  isDirty: boolean;
  saved: number;
  save(): Promise<boolean>;
}

const stubModule = vscode as unknown as { __stub: { state: StubState; reset(): void } };

export function stub(): StubState {
  return stubModule.__stub.state;
}

export function resetStub(): StubState {
  // Panels are kept by the extension between calls; close them as a user would.
  for (const panel of stub().webviewPanels) {
    panel.dispose();
  }
  stubModule.__stub.reset();
  return stub();
}

export function makeDocument(fsPath: string, isDirty = false): StubDocument {
  const doc: StubDocument = {
    uri: vscode.Uri.file(fsPath),
    languageId: 'ruff',
    isDirty,
    saved: 0,
    save() {
      doc.saved += 1;
      doc.isDirty = false;
      return Promise.resolve(true);
    },
  };
  return doc;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ruff-vscode-${prefix}-`));
}

/** Writes an executable file (a shell or node script) and returns its path. */
export function writeExecutable(file: string, content: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o755 });
  return file;
}

/** A minimal ExtensionContext: what activate() reads. */
export function makeContext(storageDir: string): vscode.ExtensionContext & { subscriptions: { dispose(): unknown }[] } {
  return {
    subscriptions: [],
    storageUri: vscode.Uri.file(storageDir),
    globalStorageUri: vscode.Uri.file(storageDir),
    extensionPath: path.resolve(__dirname, '..', '..'),
    extensionUri: vscode.Uri.file(path.resolve(__dirname, '..', '..')),
  } as unknown as vscode.ExtensionContext & { subscriptions: { dispose(): unknown }[] };
}

/** The extension's root folder (editors/vscode), from out/test/. */
export const EXTENSION_ROOT = path.resolve(__dirname, '..', '..');

export function readJson<T>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, relative), 'utf8')) as T;
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
