import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import {
  COMMANDS,
  insightArguments,
  insightClientTimeoutMs,
  profileArgs,
  registerCommands,
  runArgs,
  ServerHandle,
  targetUri,
  TRUSTED_COMMANDS,
} from '../src/commands';
import { makeContext, makeDocument, makeTempDir, resetStub, StubState, writeExecutable } from './helpers';

/** Records what the commands ask of the language server. */
class FakeServer implements ServerHandle {
  running = true;
  restarts = 0;
  outputShown = 0;
  requests: { command: string; args: unknown[] }[] = [];
  answer: unknown = 'compiled 2 loops';
  isRunning(): boolean {
    return this.running;
  }
  async restart(): Promise<void> {
    this.restarts += 1;
  }
  showOutput(): void {
    this.outputShown += 1;
  }
  async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    this.requests.push({ command, args });
    return this.answer;
  }
}

// Shaped like inferno's output: prolog, doctype, onload on the root, script in
// CDATA (with text that looks like tags and handlers), handlers on frames.
const FLAMEGRAPH_SVG = `<?xml version="1.0" standalone="no"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg version="1.1" width="1200" height="150" onload="init(evt)" viewBox="0 0 1200 150" xmlns="http://www.w3.org/2000/svg"><style type="text/css">text { font-family: monospace; }</style><script type="text/ecmascript"><![CDATA[var nametype = 'Function:'; function init(evt) { if (a<b && c>d) { el.setAttribute("data-x", 'onclick="zoom(this)"'); } }]]></script><g id="frames" total_samples="100"><g onclick="zoom(this)"><title>main (bench.ruff:1) (100 samples, 100%)</title><rect x="0" y="0" width="100" height="15" fill="rgb(1,2,3)"/></g></g></svg>`;

interface Setup {
  state: StubState;
  server: FakeServer;
  dir: string;
  file: string;
  storage: string;
  run(command: string, ...args: unknown[]): Promise<unknown>;
}

function setup(): Setup {
  const state = resetStub();
  const dir = makeTempDir('cmd');
  const file = path.join(dir, 'app.ruff');
  fs.writeFileSync(file, 'print("hi")\n');
  state.workspaceFolders = [{ uri: vscode.Uri.file(dir), name: 'ws', index: 0 }];
  const doc = makeDocument(file, true);
  state.textDocuments = [doc];
  state.activeTextEditor = { document: doc };
  // Only configured binaries: the tests never pick up a real ruff on PATH.
  state.config['ruffLang.ruffPath'] = path.join(dir, 'missing-ruff');
  state.config['ruffLang.profPath'] = path.join(dir, 'missing-ruff-prof');
  const server = new FakeServer();
  const storage = path.join(dir, 'storage');
  const context = makeContext(storage);
  registerCommands(context, {
    server,
    settings: () => ({
      serverPath: '',
      serverExtraArgs: [],
      jitHintsEnabled: true,
      parameterHints: true,
      ruffPath: String(state.config['ruffLang.ruffPath']),
      profPath: String(state.config['ruffLang.profPath']),
      insightTimeoutSeconds: 7,
    }),
    storageDir: storage,
    profilerOutput: vscode.window.createOutputChannel('Ruff Profiler'),
  });
  return {
    state,
    server,
    dir,
    file,
    storage,
    run: (command, ...args) => Promise.resolve(state.commands.get(command)?.(...args)),
  };
}

/** A fake ruff-prof: prints, writes FLAMEGRAPH_SVG to the path after --flamegraph, exits with `code`. */
function fakeProfiler(dir: string, code: number): string {
  const svgSource = path.join(dir, 'fixture.svg');
  fs.writeFileSync(svgSource, FLAMEGRAPH_SVG);
  return writeExecutable(
    path.join(dir, 'ruff-prof'),
    `#!/bin/sh
echo "ruff-prof args: $*"
echo "warning from the profiler" >&2
while [ $# -gt 0 ]; do
  if [ "$1" = "--flamegraph" ]; then cp "${svgSource}" "$2"; fi
  shift
done
exit ${code}
`,
  );
}

describe('commands: pure helpers', () => {
  it('builds the command lines of ruff and ruff-prof', () => {
    assert.deepEqual(runArgs('/w/a b.ruff'), ['run', '/w/a b.ruff']);
    assert.deepEqual(profileArgs('/w/a.ruff', '/s/a.svg'), ['run', '/w/a.ruff', '--flamegraph', '/s/a.svg']);
  });

  it('builds the executeCommand arguments for JIT insight', () => {
    const uri = vscode.Uri.file('/w/a.ruff');
    assert.deepEqual(insightArguments(uri, 10), [{ uri: uri.toString(), timeoutSeconds: 10 }]);
    assert.deepEqual(insightArguments(uri, 3, '/opt/ruff'), [{ uri: uri.toString(), timeoutSeconds: 3, ruffPath: '/opt/ruff' }]);
    assert.equal(insightClientTimeoutMs(10), 15_000);
  });

  it('accepts a Uri, { uri }, a string or nothing as the target document', () => {
    resetStub().activeTextEditor = { document: makeDocument('/w/active.ruff') };
    assert.equal(targetUri(vscode.Uri.file('/w/x.ruff'))?.fsPath, path.normalize('/w/x.ruff'));
    assert.equal(targetUri({ uri: 'file:///w/y.ruff' })?.fsPath, path.normalize('/w/y.ruff'));
    assert.equal(targetUri('file:///w/z.ruff')?.fsPath, path.normalize('/w/z.ruff'));
    assert.equal(targetUri(undefined)?.fsPath, path.normalize('/w/active.ruff'));
    assert.equal(targetUri({ other: 1 })?.fsPath, path.normalize('/w/active.ruff'));
  });
});

describe('Ruff: Run File', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });

  it('saves the file and runs `ruff run FILE` in a terminal', async () => {
    const ruff = writeExecutable(path.join(s.dir, 'bin', 'ruff'), '#!/bin/sh\n');
    s.state.config['ruffLang.ruffPath'] = ruff;
    await s.run(COMMANDS.runFile);
    assert.equal(s.state.textDocuments[0]?.saved, 1);
    assert.equal(s.state.terminals.length, 1);
    const t = s.state.terminals[0]!;
    assert.equal(t.options.shellPath, ruff);
    assert.deepEqual(t.options.shellArgs, ['run', s.file]);
    assert.equal(t.options.cwd, s.dir);
    assert.equal(t.shown, true);
  });

  it('explains a missing ruff binary and points at its setting', async () => {
    await s.run(COMMANDS.runFile);
    assert.equal(s.state.terminals.length, 0);
    const err = s.state.messages.find((m) => m.kind === 'error');
    assert.match(err?.text ?? '', /cannot find ruff.*ruffLang\.ruffPath/);
    assert.deepEqual(err?.items, ['Open Settings']);
  });

  it('refuses to run in an untrusted workspace', async () => {
    s.state.config['ruffLang.ruffPath'] = writeExecutable(path.join(s.dir, 'bin', 'ruff'), '#!/bin/sh\n');
    s.state.trusted = false;
    await s.run(COMMANDS.runFile);
    assert.equal(s.state.terminals.length, 0);
    assert.equal(s.state.textDocuments[0]?.saved, 0);
    const warning = s.state.messages.find((m) => m.kind === 'warning');
    assert.match(warning?.text ?? '', /trust/);
    assert.deepEqual(warning?.items, ['Manage Workspace Trust']);
  });

  it('needs a file on disk', async () => {
    s.state.activeTextEditor = undefined;
    await s.run(COMMANDS.runFile);
    assert.match(s.state.messages[0]?.text ?? '', /needs a saved \.ruff file/);
  });
});

describe('Ruff: Profile File', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });

  it('runs ruff-prof, streams its output and opens the flamegraph in a webview', async () => {
    s.state.config['ruffLang.profPath'] = fakeProfiler(s.dir, 0);
    await s.run(COMMANDS.profileFile);
    const out = s.state.outputChannels.find((c) => c.name === 'Ruff Profiler')!;
    assert.match(out.text, new RegExp(`ruff-prof args: run ${s.file} --flamegraph ${s.storage}/app\\.flamegraph\\.svg`));
    assert.match(out.text, /warning from the profiler/);
    assert.match(out.text, /exited with code 0/);
    assert.equal(s.state.webviewPanels.length, 1);
    const panel = s.state.webviewPanels[0]!;
    assert.equal(panel.options.enableScripts, true);
    assert.deepEqual(panel.options.localResourceRoots, []);
    assert.match(panel.title, /app\.ruff/);
    assert.match(panel.webview.html, /main \(bench\.ruff:1\)/);
    assert.doesNotMatch(panel.webview.html, /onload=/);
    assert.deepEqual(s.state.messages, []);
  });

  it('still shows the flamegraph of a failing program, with a warning', async () => {
    s.state.config['ruffLang.profPath'] = fakeProfiler(s.dir, 4);
    await s.run(COMMANDS.profileFile);
    assert.equal(s.state.webviewPanels.length, 1);
    assert.match(s.state.messages.find((m) => m.kind === 'warning')?.text ?? '', /exited with code 4/);
  });

  it('reports a run that wrote no flamegraph', async () => {
    s.state.config['ruffLang.profPath'] = writeExecutable(path.join(s.dir, 'bin', 'ruff-prof'), '#!/bin/sh\necho failed >&2\nexit 2\n');
    await s.run(COMMANDS.profileFile);
    assert.equal(s.state.webviewPanels.length, 0);
    assert.match(s.state.messages.find((m) => m.kind === 'error')?.text ?? '', /wrote no flamegraph/);
  });

  it('does not start ruff-prof in an untrusted workspace', async () => {
    const marker = path.join(s.dir, 'ran');
    s.state.config['ruffLang.profPath'] = writeExecutable(path.join(s.dir, 'bin', 'ruff-prof'), `#!/bin/sh\ntouch "${marker}"\n`);
    s.state.trusted = false;
    await s.run(COMMANDS.profileFile);
    assert.equal(fs.existsSync(marker), false);
    assert.equal(s.state.webviewPanels.length, 0);
  });
});

describe('Ruff: Run with JIT Insight', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });

  it('saves the file and sends workspace/executeCommand with [{ uri }]', async () => {
    await s.run(COMMANDS.runWithJitInsight);
    assert.equal(s.state.textDocuments[0]?.saved, 1);
    assert.deepEqual(s.server.requests, [
      { command: 'ruffLang.runWithJitInsight', args: [{ uri: vscode.Uri.file(s.file).toString(), timeoutSeconds: 7 }] },
    ]);
    assert.deepEqual(s.state.messages, [{ kind: 'info', text: 'Ruff: compiled 2 loops', items: [] }]);
  });

  it('passes the interpreter ruffLang.ruffPath names to the server', async () => {
    const ruff = writeExecutable(path.join(s.dir, 'bin', 'my-ruff'), '#!/bin/sh\nexit 0\n');
    s.state.config['ruffLang.ruffPath'] = ruff;
    await s.run(COMMANDS.runWithJitInsight);
    assert.equal((s.server.requests[0]?.args[0] as { ruffPath?: string }).ruffPath, ruff);
  });

  it('accepts the arguments of a code lens', async () => {
    const other = path.join(s.dir, 'other.ruff');
    await s.run(COMMANDS.runWithJitInsight, { uri: vscode.Uri.file(other).toString() });
    assert.equal((s.server.requests[0]?.args[0] as { uri: string }).uri, vscode.Uri.file(other).toString());
  });

  it('is refused in an untrusted workspace, even when invoked directly', async () => {
    s.state.trusted = false;
    await s.run(COMMANDS.runWithJitInsight, { uri: vscode.Uri.file(s.file).toString() });
    assert.deepEqual(s.server.requests, []);
    assert.equal(s.state.messages[0]?.kind, 'warning');
  });

  it('says so when the server is not running', async () => {
    s.server.running = false;
    await s.run(COMMANDS.runWithJitInsight);
    assert.deepEqual(s.server.requests, []);
    assert.match(s.state.messages[0]?.text ?? '', /not running/);
  });

  it('reports a failed request', async () => {
    s.server.executeCommand = () => Promise.reject(new Error('program timed out'));
    await s.run(COMMANDS.runWithJitInsight);
    assert.match(s.state.messages[0]?.text ?? '', /JIT insight failed: program timed out/);
  });
});

describe('server commands', () => {
  it('restart and show output go to the server', async () => {
    const s = setup();
    await s.run(COMMANDS.restartServer);
    await s.run(COMMANDS.showOutput);
    assert.equal(s.server.restarts, 1);
    assert.equal(s.server.outputShown, 1);
  });

  it('restart and show output also work in an untrusted workspace', async () => {
    const s = setup();
    s.state.trusted = false;
    await s.run(COMMANDS.restartServer);
    assert.equal(s.server.restarts, 1);
    assert.ok(!TRUSTED_COMMANDS.has(COMMANDS.restartServer));
  });
});
