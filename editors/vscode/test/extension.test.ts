// activate() end to end against the `vscode` stub: the real
// vscode-languageclient starts test/fixtures/fake-lsp.js (a tiny LSP server
// that logs what it receives) as if it were ruff-lsp.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { activate, deactivate } from '../src/extension';
import { EXTENSION_ROOT, makeContext, makeDocument, makeTempDir, readJson, resetStub, StubState, waitFor, writeExecutable } from './helpers';

interface LspMessage {
  id?: number;
  method?: string;
  params?: { initializationOptions?: unknown; command?: string; arguments?: unknown[]; settings?: unknown };
}

const FAKE_SERVER = path.join(EXTENSION_ROOT, 'test', 'fixtures', 'fake-lsp.js');

let state: StubState;
let ws: string;
let logFile: string;
let savedPath: string | undefined;

/** Installs the fake server as `target/debug/ruff-lsp` of the workspace. */
function installWorkspaceServer(): string {
  return writeExecutable(
    path.join(ws, 'target', 'debug', 'ruff-lsp'),
    `#!/bin/sh\nRUFF_FAKE_LSP_LOG='${logFile}' exec '${process.execPath}' '${FAKE_SERVER}' "$@"\n`,
  );
}

function received(): LspMessage[] {
  if (!fs.existsSync(logFile)) {
    return [];
  }
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LspMessage);
}

function messages(method: string): LspMessage[] {
  return received().filter((m) => m.method === method);
}

function statusText(): string {
  return state.statusBarItems[0]?.text ?? '';
}

async function startExtension(): Promise<void> {
  await activate(makeContext(path.join(ws, '.storage')));
}

describe('activate()', () => {
  beforeEach(() => {
    state = resetStub();
    ws = makeTempDir('ext');
    logFile = path.join(ws, 'lsp.log');
    state.workspaceFolders = [{ uri: vscode.Uri.file(ws), name: 'ws', index: 0 }];
    // No real ruff-lsp from this machine's PATH may take part.
    savedPath = process.env['PATH'];
    process.env['PATH'] = makeTempDir('empty-path');
  });

  afterEach(async () => {
    await deactivate();
    process.env['PATH'] = savedPath;
  });

  it('registers exactly the commands package.json contributes', async () => {
    state.config['ruffLang.server.path'] = path.join(ws, 'no-such-ruff-lsp');
    await startExtension();
    const manifest = readJson<{ contributes: { commands: { command: string }[] } }>('package.json');
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...state.commands.keys()].sort(), contributed);
  });

  it('shows a missing server as an error in the status bar, naming the setting', async () => {
    state.config['ruffLang.server.path'] = path.join(ws, 'no-such-ruff-lsp');
    await startExtension();
    await waitFor(() => statusText().includes('error'), 5000, 'error status');
    assert.match(state.statusBarItems[0]?.tooltip ?? '', /configured path/);
    assert.match(state.messages.find((m) => m.kind === 'error')?.text ?? '', /ruffLang\.server\.path/);
  });

  it('starts the workspace build of ruff-lsp and speaks LSP with it', async () => {
    installWorkspaceServer();
    await startExtension();
    // The client reports "running" a moment before it has registered the
    // server's commands; wait for both.
    await waitFor(() => statusText().includes('check') && state.commands.has('ruffLang.serverOnlyCommand'), 10000, 'running client');

    const [init] = messages('initialize');
    assert.deepEqual(init?.params?.initializationOptions, { jitHints: true, parameterHints: true });
    // The server's own commands become VS Code commands, except the one the
    // extension registers itself (which would otherwise clash).
    assert.ok(state.commands.has('ruffLang.serverOnlyCommand'));

    // Run with JIT Insight goes to the server as workspace/executeCommand.
    const file = path.join(ws, 'app.ruff');
    fs.writeFileSync(file, 'print(1)\n');
    state.activeTextEditor = { document: makeDocument(file) };
    await vscode.commands.executeCommand('ruffLang.runWithJitInsight');
    const [exec] = messages('workspace/executeCommand');
    assert.equal(exec?.params?.command, 'ruffLang.runWithJitInsight');
    assert.deepEqual(exec?.params?.arguments, [{ uri: vscode.Uri.file(file).toString(), timeoutSeconds: 10 }]);
    assert.ok(state.messages.some((m) => m.text === 'Ruff: ran ruffLang.runWithJitInsight'));

    // Turning JIT hints off is pushed with didChangeConfiguration.
    state.config['ruffLang.jitHints.enabled'] = false;
    state.onDidChangeConfiguration.fire({ affectsConfiguration: (k) => k === 'ruffLang.jitHints.enabled' });
    await waitFor(() => messages('workspace/didChangeConfiguration').length > 0, 5000, 'didChangeConfiguration');
    assert.deepEqual(messages('workspace/didChangeConfiguration')[0]?.params, { settings: { jitHints: false, parameterHints: true } });

    // Restart: a clean shutdown, then a new initialize with the new settings.
    await vscode.commands.executeCommand('ruffLang.restartServer');
    await waitFor(() => messages('initialize').length === 2 && statusText().includes('check'), 10000, 'restart');
    assert.equal(messages('shutdown').length, 1);
    assert.deepEqual(messages('initialize')[1]?.params?.initializationOptions, { jitHints: false, parameterHints: true });

    await deactivate();
    assert.match(statusText(), /circle-slash/);
    assert.equal(messages('shutdown').length, 2);
  });

  it('starts ruffLang.server.path with ruffLang.server.extraArgs, and traces per ruffLang.trace.server', async () => {
    const argsFile = path.join(ws, 'args.txt');
    // A server outside the workspace, named by the setting, that records
    // the arguments it was started with.
    const server = writeExecutable(
      path.join(makeTempDir('own-server'), 'my-ruff-lsp'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nRUFF_FAKE_LSP_LOG='${logFile}' exec '${process.execPath}' '${FAKE_SERVER}'\n`,
    );
    installWorkspaceServer(); // must lose to the setting
    state.config['ruffLang.server.path'] = server;
    state.config['ruffLang.server.extraArgs'] = ['--log-level', 'two words'];
    await startExtension();
    await waitFor(() => statusText().includes('check'), 10000, 'running client');
    // vscode-languageclient appends --stdio (TransportKind.stdio).
    assert.equal(fs.readFileSync(argsFile, 'utf8'), '--log-level\ntwo words\n--stdio\n');
    const output = (): string => state.outputChannels.map((c) => c.text).join('');
    assert.ok(output().includes(`starting ${server} (from setting)`), output());
    // trace.server is off by default: no message is traced.
    assert.doesNotMatch(output(), /\[Trace/);

    // New arguments restart the server with them.
    state.config['ruffLang.server.extraArgs'] = ['--other'];
    state.onDidChangeConfiguration.fire({ affectsConfiguration: (k) => k === 'ruffLang.server.extraArgs' || k === 'ruffLang' });
    await waitFor(() => messages('initialize').length === 2 && statusText().includes('check'), 10000, 'restart for extraArgs');
    assert.equal(fs.readFileSync(argsFile, 'utf8'), '--other\n--stdio\n');

    // Turning tracing on logs the LSP traffic to the output channel.
    state.config['ruffLang.trace.server'] = 'verbose';
    state.onDidChangeConfiguration.fire({ affectsConfiguration: (k) => k === 'ruffLang.trace.server' || k === 'ruffLang' });
    const file = path.join(ws, 'app.ruff');
    fs.writeFileSync(file, 'print(1)\n');
    state.activeTextEditor = { document: makeDocument(file) };
    await vscode.commands.executeCommand('ruffLang.runWithJitInsight');
    await waitFor(() => /\[Trace[^\n]*Sending request 'workspace\/executeCommand/.test(output()), 5000, 'traced request');
  });

  it('ignores the workspace build until the workspace is trusted', async () => {
    installWorkspaceServer();
    state.trusted = false;
    await startExtension();
    await waitFor(() => statusText().includes('error'), 5000, 'error status');
    assert.match(state.statusBarItems[0]?.tooltip ?? '', /untrusted/);
    assert.deepEqual(received(), []);

    state.trusted = true;
    state.onDidGrantWorkspaceTrust.fire(undefined);
    await waitFor(() => statusText().includes('check'), 10000, 'running after trust');
    assert.equal(messages('initialize').length, 1);
  });
});
