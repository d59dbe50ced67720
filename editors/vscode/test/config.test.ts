import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  configurationImpact,
  ConfigReader,
  DEFAULT_SETTINGS,
  didChangeConfigurationParams,
  initializationOptions,
  PATH_SETTINGS,
  readSettings,
} from '../src/config';

function reader(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('readSettings', () => {
  it('gives the documented defaults for an empty configuration', () => {
    assert.deepEqual(readSettings(reader({})), {
      serverPath: '',
      serverExtraArgs: [],
      jitHintsEnabled: true,
      parameterHints: true,
      ruffPath: '',
      profPath: '',
      insightTimeoutSeconds: 10,
    });
    assert.deepEqual(readSettings(reader({})), DEFAULT_SETTINGS);
  });

  it('reads every setting', () => {
    const s = readSettings(
      reader({
        'server.path': ' /opt/ruff-lsp ',
        'server.extraArgs': ['--log', 'debug'],
        'jitHints.enabled': false,
        'inlayHints.parameterNames': false,
        ruffPath: '/opt/ruff',
        profPath: '/opt/ruff-prof',
        'insight.timeoutSeconds': 30,
      }),
    );
    assert.deepEqual(s, {
      serverPath: '/opt/ruff-lsp',
      serverExtraArgs: ['--log', 'debug'],
      jitHintsEnabled: false,
      parameterHints: false,
      ruffPath: '/opt/ruff',
      profPath: '/opt/ruff-prof',
      insightTimeoutSeconds: 30,
    });
  });

  it('falls back to defaults for values of the wrong type', () => {
    const s = readSettings(
      reader({
        'server.path': 42,
        'server.extraArgs': ['ok', 3, null],
        'jitHints.enabled': 'no',
        'insight.timeoutSeconds': -1,
      }),
    );
    assert.equal(s.serverPath, '');
    assert.deepEqual(s.serverExtraArgs, ['ok']);
    assert.equal(s.jitHintsEnabled, true);
    assert.equal(s.insightTimeoutSeconds, 10);
    assert.equal(readSettings(reader({ 'insight.timeoutSeconds': 1e9 })).insightTimeoutSeconds, 3600);
    assert.equal(readSettings(reader({ 'insight.timeoutSeconds': 0.5 })).insightTimeoutSeconds, 1);
    assert.equal(readSettings(reader({ 'insight.timeoutSeconds': Number.NaN })).insightTimeoutSeconds, 10);
  });
});

describe('what the server is told', () => {
  it('maps jitHints.enabled to initializationOptions { jitHints }', () => {
    assert.deepEqual(initializationOptions(DEFAULT_SETTINGS), { jitHints: true, parameterHints: true });
    assert.deepEqual(initializationOptions({ ...DEFAULT_SETTINGS, jitHintsEnabled: false }), {
      jitHints: false,
      parameterHints: true,
    });
    assert.deepEqual(initializationOptions({ ...DEFAULT_SETTINGS, parameterHints: false }), {
      jitHints: true,
      parameterHints: false,
    });
  });

  it('sends the same shape in workspace/didChangeConfiguration', () => {
    const s = { ...DEFAULT_SETTINGS, jitHintsEnabled: false };
    assert.deepEqual(didChangeConfigurationParams(s), { settings: initializationOptions(s) });
  });

  it('does not leak local paths to the server', () => {
    const s = { ...DEFAULT_SETTINGS, serverPath: '/secret/path', ruffPath: '/x' };
    assert.deepEqual(Object.keys(initializationOptions(s)), ['jitHints', 'parameterHints']);
  });
});

describe('configurationImpact', () => {
  const only = (...keys: string[]) => (k: string) => keys.includes(k);
  it('restarts for a new binary or arguments', () => {
    assert.equal(configurationImpact(only('ruffLang.server.path')), 'restart');
    assert.equal(configurationImpact(only('ruffLang.server.extraArgs')), 'restart');
  });
  it('only notifies for JIT hints', () => {
    assert.equal(configurationImpact(only('ruffLang.jitHints.enabled')), 'notify');
    assert.equal(configurationImpact(only('ruffLang.inlayHints.parameterNames')), 'notify');
  });
  it('ignores settings the server does not use', () => {
    assert.equal(configurationImpact(only('ruffLang.ruffPath', 'ruffLang.trace.server', 'ruff.path')), 'none');
  });
});

describe('PATH_SETTINGS', () => {
  it('names the settings that point at binaries', () => {
    assert.deepEqual([...PATH_SETTINGS].sort(), [
      'ruffLang.profPath',
      'ruffLang.ruffPath',
      'ruffLang.server.extraArgs',
      'ruffLang.server.path',
    ]);
  });
});
