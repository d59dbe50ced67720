// The extension's commands. Ids match `contributes.commands` in package.json
// (a unit test checks both directions).
//
// Run File, Profile File and Run with JIT Insight execute the user's program,
// so they refuse to run in an untrusted workspace. package.json already
// disables them there (`enablement: isWorkspaceTrusted`), but a command can
// still be invoked programmatically, e.g. from a code lens the server sent, so
// each handler checks `vscode.workspace.isTrusted` again.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RuffSettings } from './config';
import { showFlamegraph } from './profileView';
import { reportMissingTool, resolveTool } from './tools';

export const COMMANDS = {
  runFile: 'ruffLang.runFile',
  profileFile: 'ruffLang.profileFile',
  runWithJitInsight: 'ruffLang.runWithJitInsight',
  restartServer: 'ruffLang.restartServer',
  showOutput: 'ruffLang.showOutput',
} as const;

/** Commands that execute the user's program and so need a trusted workspace. */
export const TRUSTED_COMMANDS: ReadonlySet<string> = new Set([
  COMMANDS.runFile,
  COMMANDS.profileFile,
  COMMANDS.runWithJitInsight,
]);

/** What the command handlers need from the language server side. */
export interface ServerHandle {
  isRunning(): boolean;
  restart(): Promise<void>;
  showOutput(): void;
  executeCommand(command: string, args: unknown[], token?: vscode.CancellationToken): Promise<unknown>;
}

export interface CommandContext {
  readonly server: ServerHandle;
  readonly settings: () => RuffSettings;
  /** Where flamegraphs are written; outside the workspace so they never show up in git. */
  readonly storageDir: string;
  readonly profilerOutput: vscode.OutputChannel;
}

/** Returns false, and tells the user why, when the workspace is not trusted. */
export function ensureTrusted(action: string): boolean {
  if (vscode.workspace.isTrusted) {
    return true;
  }
  void vscode.window
    .showWarningMessage(`Ruff: "${action}" runs your program, so it is disabled until you trust this workspace.`, 'Manage Workspace Trust')
    .then((choice) => {
      if (choice === 'Manage Workspace Trust') {
        void vscode.commands.executeCommand('workbench.trust.manage');
      }
    });
  return false;
}

/**
 * The document a command acts on. Menus pass a `Uri`; a code lens from the
 * server may pass `{ uri: string }` or a plain string; the palette passes
 * nothing, which means the active editor.
 */
export function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === 'string') {
    return vscode.Uri.parse(arg);
  }
  if (typeof arg === 'object' && arg !== null && 'uri' in arg) {
    const uri: unknown = (arg as { uri: unknown }).uri;
    return typeof uri === 'string' ? vscode.Uri.parse(uri) : uri instanceof vscode.Uri ? uri : undefined;
  }
  return vscode.window.activeTextEditor?.document.uri;
}

/**
 * Saves the document if it has unsaved edits — `ruff`, `ruff-prof` and the
 * server all read the file from disk — and returns its path.
 */
async function savedFile(arg: unknown, action: string): Promise<string | undefined> {
  const uri = targetUri(arg);
  if (uri === undefined || uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Ruff: "${action}" needs a saved .ruff file; open one first.`);
    return undefined;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc !== undefined && doc.isDirty && !(await doc.save())) {
    void vscode.window.showErrorMessage(`Ruff: could not save ${uri.fsPath}.`);
    return undefined;
  }
  return uri.fsPath;
}

function workingDirectory(file: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? path.dirname(file);
}

export function runArgs(file: string): string[] {
  return ['run', file];
}

export function profileArgs(file: string, svgOut: string): string[] {
  return ['run', file, '--flamegraph', svgOut];
}

/**
 * The arguments of `workspace/executeCommand` for JIT insight. `ruffPath` is
 * the interpreter `ruffLang.ruffPath` resolves to (the server runs that one
 * instead of searching its own); it is sent only with this user-triggered,
 * trust-checked command, never in the initialization options.
 */
export function insightArguments(
  uri: vscode.Uri,
  timeoutSeconds: number,
  ruffPath?: string,
): [{ uri: string; timeoutSeconds: number; ruffPath?: string }] {
  return [ruffPath === undefined ? { uri: uri.toString(), timeoutSeconds } : { uri: uri.toString(), timeoutSeconds, ruffPath }];
}

/** How long the client waits for the server's answer: the run's budget plus start-up and analysis. */
export function insightClientTimeoutMs(timeoutSeconds: number): number {
  return (timeoutSeconds + 5) * 1000;
}

async function runFile(ctx: CommandContext, arg: unknown): Promise<void> {
  if (!ensureTrusted('Run File')) {
    return;
  }
  const file = await savedFile(arg, 'Run File');
  if (file === undefined) {
    return;
  }
  const ruff = resolveTool('ruff', ctx.settings().ruffPath);
  if (!ruff.found) {
    await reportMissingTool('ruff', ruff);
    return;
  }
  // The program is the terminal's process (shellPath), not text typed into
  // a shell: no quoting rules to get wrong per shell, the exit code is
  // shown when it ends, and `input()` reads from the terminal.
  const terminal = vscode.window.createTerminal({
    name: `Ruff: ${path.basename(file)}`,
    shellPath: ruff.path,
    shellArgs: runArgs(file),
    cwd: workingDirectory(file),
  });
  terminal.show();
}

async function profileFile(ctx: CommandContext, arg: unknown): Promise<void> {
  if (!ensureTrusted('Profile File')) {
    return;
  }
  const file = await savedFile(arg, 'Profile File');
  if (file === undefined) {
    return;
  }
  const prof = resolveTool('ruff-prof', ctx.settings().profPath);
  if (!prof.found) {
    await reportMissingTool('ruff-prof', prof);
    return;
  }
  await fs.promises.mkdir(ctx.storageDir, { recursive: true });
  const svgOut = path.join(ctx.storageDir, `${path.basename(file, '.ruff')}.flamegraph.svg`);
  // A stale SVG from an earlier run must not be shown as this run's result.
  await fs.promises.rm(svgOut, { force: true });

  const out = ctx.profilerOutput;
  const args = profileArgs(file, svgOut);
  out.show(true);
  out.appendLine(`$ ${prof.path} ${args.join(' ')}`);

  const exitCode = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Profiling ${path.basename(file)}`, cancellable: true },
    (_progress, token) =>
      new Promise<number | null>((resolve) => {
        // stdin is closed: a program waiting on input() gets end of input
        // instead of hanging a run nobody can type into.
        const child = spawn(prof.path, args, { cwd: workingDirectory(file), stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (chunk: Buffer) => out.append(chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => out.append(chunk.toString()));
        token.onCancellationRequested(() => child.kill());
        child.on('error', (err) => {
          out.appendLine(`[ruff] could not start ruff-prof: ${err.message}`);
          resolve(null);
        });
        child.on('close', (code) => resolve(code));
      }),
  );
  out.appendLine(`[ruff] ruff-prof exited with ${exitCode === null ? 'no exit code' : `code ${exitCode}`}`);

  // A program that fails part-way still has a useful profile, so the SVG is
  // shown whenever one was written, with a warning about the exit code.
  if (fs.existsSync(svgOut)) {
    await showFlamegraph(svgOut, `Flamegraph: ${path.basename(file)}`);
    if (exitCode !== 0) {
      void vscode.window.showWarningMessage(`Ruff: the profiled program exited with code ${String(exitCode)}; see the Ruff Profiler output.`);
    }
  } else {
    void vscode.window.showErrorMessage('Ruff: ruff-prof wrote no flamegraph; see the Ruff Profiler output.');
  }
}

async function runWithJitInsight(ctx: CommandContext, arg: unknown): Promise<void> {
  if (!ensureTrusted('Run with JIT Insight')) {
    return;
  }
  const file = await savedFile(arg, 'Run with JIT Insight');
  if (file === undefined) {
    return;
  }
  if (!ctx.server.isRunning()) {
    void vscode.window.showErrorMessage('Ruff: JIT insight needs the Ruff language server, which is not running.');
    return;
  }
  const timeoutSeconds = ctx.settings().insightTimeoutSeconds;
  const ruff = resolveTool('ruff', ctx.settings().ruffPath);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `Ruff: running ${path.basename(file)} for JIT insight` },
    async () => {
      // The server enforces the run's timeout; this one only keeps the
      // client from waiting forever on a server that never answers.
      const cancel = new vscode.CancellationTokenSource();
      const timer = setTimeout(() => cancel.cancel(), insightClientTimeoutMs(timeoutSeconds));
      try {
        const result = await ctx.server.executeCommand(
          COMMANDS.runWithJitInsight,
          insightArguments(vscode.Uri.file(file), timeoutSeconds, ruff.found ? ruff.path : undefined),
          cancel.token,
        );
        // Hints and lenses refresh through the server's refresh requests;
        // a textual summary, if the server sends one, is worth showing.
        if (typeof result === 'string' && result !== '') {
          void vscode.window.showInformationMessage(`Ruff: ${result}`);
        }
      } catch (err) {
        const reason = cancel.token.isCancellationRequested ? `no answer within ${timeoutSeconds + 5} s` : err instanceof Error ? err.message : String(err);
        void vscode.window.showErrorMessage(`Ruff: JIT insight failed: ${reason}`);
      } finally {
        clearTimeout(timer);
        cancel.dispose();
      }
    },
  );
}

/** Registers every command; all registrations are disposed with the extension. */
export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  const handlers: Record<(typeof COMMANDS)[keyof typeof COMMANDS], (arg?: unknown) => unknown> = {
    [COMMANDS.runFile]: (arg) => runFile(ctx, arg),
    [COMMANDS.profileFile]: (arg) => profileFile(ctx, arg),
    [COMMANDS.runWithJitInsight]: (arg) => runWithJitInsight(ctx, arg),
    [COMMANDS.restartServer]: () => ctx.server.restart(),
    [COMMANDS.showOutput]: () => ctx.server.showOutput(),
  };
  for (const [id, handler] of Object.entries(handlers)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  }
}
