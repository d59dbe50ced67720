// package.json, language-configuration.json and the esbuild bundle: the
// parts of the extension VS Code reads without running our TypeScript.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as vscode from 'vscode';
import { COMMANDS, TRUSTED_COMMANDS } from '../src/commands';
import { DEFAULT_SETTINGS, KEYS, PATH_SETTINGS, SECTION } from '../src/config';
import { EXTENSION_ROOT, makeContext, makeTempDir, readJson, resetStub } from './helpers';

interface Manifest {
  name: string;
  publisher: string;
  license: string;
  main: string;
  repository: { url: string };
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description: string; restrictedConfigurations: string[] } };
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    commands: { command: string; title: string; category: string; enablement?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { default: unknown; type: string }> };
  };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const manifest = readJson<Manifest>('package.json');

describe('package.json', () => {
  it('declares the ruff language for .ruff files', () => {
    const [lang] = manifest.contributes.languages;
    assert.equal(lang?.id, 'ruff');
    assert.deepEqual(lang?.extensions, ['.ruff']);
    assert.ok(manifest.activationEvents.includes('onLanguage:ruff'));
    assert.ok(fs.existsSync(path.join(EXTENSION_ROOT, lang?.configuration ?? '')));
  });

  it('contributes the commands the code registers, all under ruffLang.', () => {
    const ids = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ids, Object.values(COMMANDS).sort());
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Ruff');
      assert.ok(c.title.length > 0);
    }
    const titles = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.equal(titles['ruffLang.runFile'], 'Ruff: Run File');
    assert.equal(titles['ruffLang.profileFile'], 'Ruff: Profile File');
    assert.equal(titles['ruffLang.runWithJitInsight'], 'Ruff: Run with JIT Insight');
  });

  it('disables the commands that run code in untrusted workspaces', () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.enablement === 'isWorkspaceTrusted', TRUSTED_COMMANDS.has(c.command), c.command);
    }
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items.filter((i) => TRUSTED_COMMANDS.has(i.command))) {
        assert.match(item.when ?? '', /\bisWorkspaceTrusted\b/, `${menu}: ${item.command}`);
      }
    }
  });

  it('supports untrusted workspaces in a limited way, restricting the path settings', () => {
    const u = manifest.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, 'limited');
    assert.ok(u.description.length > 20);
    assert.deepEqual([...u.restrictedConfigurations].sort(), [...PATH_SETTINGS].sort());
  });

  it('keeps every setting under ruffLang. with the defaults the code assumes', () => {
    const props = manifest.contributes.configuration.properties;
    for (const key of Object.keys(props)) {
      assert.ok(key.startsWith(`${SECTION}.`), key);
    }
    const d = (key: string): unknown => props[`${SECTION}.${key}`]?.default;
    assert.equal(d(KEYS.serverPath), DEFAULT_SETTINGS.serverPath);
    assert.deepEqual(d(KEYS.serverExtraArgs), DEFAULT_SETTINGS.serverExtraArgs);
    assert.equal(d(KEYS.traceServer), 'off');
    assert.equal(d(KEYS.jitHintsEnabled), DEFAULT_SETTINGS.jitHintsEnabled);
    assert.equal(d(KEYS.parameterHints), DEFAULT_SETTINGS.parameterHints);
    assert.equal(d(KEYS.ruffPath), DEFAULT_SETTINGS.ruffPath);
    assert.equal(d(KEYS.profPath), DEFAULT_SETTINGS.profPath);
    assert.equal(d(KEYS.insightTimeoutSeconds), DEFAULT_SETTINGS.insightTimeoutSeconds);
    assert.equal(Object.keys(props).length, Object.keys(KEYS).length);
  });

  it('never uses the ruff. namespace of the Python linter extension', () => {
    const text = fs.readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8');
    assert.doesNotMatch(text, /"ruff\.[A-Za-z]/);
  });

  it('has what vsce needs and pins the tool versions', () => {
    assert.ok(manifest.publisher);
    assert.equal(manifest.license, 'MIT');
    assert.ok(manifest.repository.url);
    assert.ok(fs.existsSync(path.join(EXTENSION_ROOT, 'LICENSE')));
    assert.ok(fs.existsSync(path.join(EXTENSION_ROOT, 'README.md')));
    // vscode-languageclient 9 needs ^1.82, and @types/vscode must not be newer than the engine.
    assert.equal(manifest.engines.vscode, '^1.82.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.82.0');
    assert.match(manifest.dependencies['vscode-languageclient'] ?? '', /^9\./);
    // vsce 4 needs Node 22; this project builds with Node 20.
    assert.match(manifest.devDependencies['@vscode/vsce'] ?? '', /^3\./);
  });
});

describe('language-configuration.json', () => {
  const config = readJson<{
    comments: { lineComment: string; blockComment: [string, string] };
    brackets: [string, string][];
    autoClosingPairs: { open: string; close: string }[];
    wordPattern: string;
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
    onEnterRules: { beforeText: string }[];
    folding: { markers: { start: string; end: string } };
  }>('language-configuration.json');

  it('declares comments, brackets and auto-closing quotes', () => {
    assert.equal(config.comments.lineComment, '#');
    assert.deepEqual(config.comments.blockComment, ['/*', '*/']);
    assert.deepEqual(config.brackets.map((b) => b.join('')), ['{}', '[]', '()']);
    assert.ok(config.autoClosingPairs.some((p) => p.open === '"'));
    assert.ok(config.autoClosingPairs.some((p) => p.open === "'"));
  });

  it('has regexes that compile and behave', () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
    assert.ok(increase.test('func f(a) {'));
    assert.ok(increase.test('if x > 1 { # comment'));
    assert.ok(increase.test('xs := ['));
    assert.ok(!increase.test('p := Point {}'));
    assert.ok(!increase.test('# {'));
    assert.ok(decrease.test('  }'));
    const word = new RegExp(config.wordPattern, 'g');
    assert.deepEqual('x_1 := 1_000.5e3'.match(word), ['x_1', '1_000.5e3']);
    assert.ok(new RegExp(config.folding.markers.start).test('# region setup'));
    assert.ok(new RegExp(config.folding.markers.end).test('// endregion'));
    assert.ok(new RegExp(config.onEnterRules[0]?.beforeText ?? '$^').test('/// docs'));
  });
});

describe('the packaged bundle', () => {
  const bundle = path.join(EXTENSION_ROOT, manifest.main);

  it('is what package.json points at and activates on its own', async () => {
    assert.ok(fs.existsSync(bundle), `${manifest.main} is missing: run \`npm run bundle\``);
    const state = resetStub();
    const dir = makeTempDir('bundle');
    state.config['ruffLang.server.path'] = path.join(dir, 'no-such-ruff-lsp');
    state.workspaceFolders = [{ uri: vscode.Uri.file(dir), name: 'ws', index: 0 }];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(bundle) as { activate(c: vscode.ExtensionContext): Promise<void>; deactivate(): Promise<void> };
    await ext.activate(makeContext(dir));
    assert.deepEqual([...state.commands.keys()].sort(), manifest.contributes.commands.map((c) => c.command).sort());
    await ext.deactivate();
  });
});
