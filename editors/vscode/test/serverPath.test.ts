import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isExecutableFile, resolveBinary, ResolveEnv, ResolveRequest } from '../src/serverPath';
import { makeTempDir, writeExecutable } from './helpers';

/** A fake file system: exactly the files listed are executable. */
function env(files: string[], overrides: Partial<ResolveEnv> = {}): ResolveEnv {
  const set = new Set(files);
  return {
    platform: 'linux',
    pathVariable: '/usr/local/bin:/usr/bin',
    pathExt: undefined,
    homeDir: '/home/u',
    isExecutable: (f) => set.has(f),
    ...overrides,
  };
}

function req(overrides: Partial<ResolveRequest> = {}): ResolveRequest {
  return { name: 'ruff-lsp', configured: '', workspaceFolders: ['/ws/a', '/ws/b'], allowWorkspaceBinaries: true, ...overrides };
}

describe('resolveBinary', () => {
  it('prefers the workspace release build, then debug, then PATH', () => {
    const all = ['/ws/a/target/release/ruff-lsp', '/ws/a/target/debug/ruff-lsp', '/usr/bin/ruff-lsp'];
    assert.deepEqual(resolveBinary(req(), env(all)), { found: true, path: '/ws/a/target/release/ruff-lsp', source: 'workspace' });
    assert.deepEqual(resolveBinary(req(), env(all.slice(1))), { found: true, path: '/ws/a/target/debug/ruff-lsp', source: 'workspace' });
    assert.deepEqual(resolveBinary(req(), env(all.slice(2))), { found: true, path: '/usr/bin/ruff-lsp', source: 'path' });
  });

  it('searches workspace folders in order before PATH', () => {
    const r = resolveBinary(req(), env(['/ws/b/target/debug/ruff-lsp', '/usr/bin/ruff-lsp']));
    assert.deepEqual(r, { found: true, path: '/ws/b/target/debug/ruff-lsp', source: 'workspace' });
  });

  it('takes the first PATH entry that has the binary', () => {
    const r = resolveBinary(req({ workspaceFolders: [] }), env(['/usr/bin/ruff-lsp', '/usr/local/bin/ruff-lsp']));
    assert.deepEqual(r, { found: true, path: '/usr/local/bin/ruff-lsp', source: 'path' });
  });

  it('never uses workspace builds in an untrusted workspace', () => {
    const r = resolveBinary(req({ allowWorkspaceBinaries: false }), env(['/ws/a/target/release/ruff-lsp', '/usr/bin/ruff-lsp']));
    assert.deepEqual(r, { found: true, path: '/usr/bin/ruff-lsp', source: 'path' });
    const none = resolveBinary(req({ allowWorkspaceBinaries: false }), env(['/ws/a/target/release/ruff-lsp']));
    assert.equal(none.found, false);
    assert.ok(!none.found && none.tried.every((t) => !t.startsWith('/ws/')));
    assert.ok(!none.found && /untrusted/.test(none.reason));
  });

  it('reports everything it tried when nothing is found', () => {
    const r = resolveBinary(req({ workspaceFolders: ['/ws/a'] }), env([]));
    assert.equal(r.found, false);
    assert.ok(!r.found);
    assert.deepEqual(r.tried, [
      '/ws/a/target/release/ruff-lsp',
      '/ws/a/target/debug/ruff-lsp',
      '/usr/local/bin/ruff-lsp',
      '/usr/bin/ruff-lsp',
    ]);
    assert.match(r.reason, /ruff-lsp was not found/);
  });

  it('uses a configured absolute path and does not fall back when it is wrong', () => {
    const files = ['/opt/ruff/ruff-lsp', '/ws/a/target/release/ruff-lsp'];
    assert.deepEqual(resolveBinary(req({ configured: '/opt/ruff/ruff-lsp' }), env(files)), {
      found: true,
      path: '/opt/ruff/ruff-lsp',
      source: 'setting',
    });
    const wrong = resolveBinary(req({ configured: '/opt/missing/ruff-lsp' }), env(files));
    assert.equal(wrong.found, false);
    assert.ok(!wrong.found && /configured path/.test(wrong.reason));
  });

  it('expands ~ and ${workspaceFolder}, and resolves relative paths against workspace folders', () => {
    assert.deepEqual(resolveBinary(req({ configured: '~/bin/ruff-lsp' }), env(['/home/u/bin/ruff-lsp'])), {
      found: true,
      path: '/home/u/bin/ruff-lsp',
      source: 'setting',
    });
    assert.deepEqual(resolveBinary(req({ configured: '${workspaceFolder}/tools/lsp' }), env(['/ws/b/tools/lsp'])), {
      found: true,
      path: '/ws/b/tools/lsp',
      source: 'setting',
    });
    assert.deepEqual(resolveBinary(req({ configured: 'build/ruff-lsp' }), env(['/ws/a/build/ruff-lsp'])), {
      found: true,
      path: '/ws/a/build/ruff-lsp',
      source: 'setting',
    });
  });

  it('refuses workspace-relative settings in an untrusted workspace', () => {
    for (const configured of ['${workspaceFolder}/x', 'build/ruff-lsp']) {
      const r = resolveBinary(req({ configured, allowWorkspaceBinaries: false }), env(['/ws/a/x', '/ws/a/build/ruff-lsp']));
      assert.equal(r.found, false, configured);
    }
  });

  it('looks a bare configured command name up on PATH', () => {
    assert.deepEqual(resolveBinary(req({ configured: 'ruff-lsp-nightly' }), env(['/usr/bin/ruff-lsp-nightly'])), {
      found: true,
      path: '/usr/bin/ruff-lsp-nightly',
      source: 'setting',
    });
  });

  it('applies the same rule to ruff and ruff-prof', () => {
    const files = ['/ws/a/target/release/ruff', '/usr/bin/ruff-prof'];
    assert.deepEqual(resolveBinary(req({ name: 'ruff' }), env(files)), { found: true, path: '/ws/a/target/release/ruff', source: 'workspace' });
    assert.deepEqual(resolveBinary(req({ name: 'ruff-prof' }), env(files)), { found: true, path: '/usr/bin/ruff-prof', source: 'path' });
  });

  it('finds .exe files with Windows paths and PATHEXT', () => {
    const winEnv = env(['C:\\ws\\target\\debug\\ruff-lsp.exe', 'C:\\tools\\ruff-prof.cmd'], {
      platform: 'win32',
      pathVariable: 'C:\\Windows;C:\\tools',
      pathExt: '.COM;.EXE;.BAT;.CMD',
    });
    assert.deepEqual(resolveBinary(req({ workspaceFolders: ['C:\\ws'] }), winEnv), {
      found: true,
      path: 'C:\\ws\\target\\debug\\ruff-lsp.exe',
      source: 'workspace',
    });
    assert.deepEqual(resolveBinary(req({ name: 'ruff-prof', workspaceFolders: ['C:\\ws'] }), winEnv), {
      found: true,
      path: 'C:\\tools\\ruff-prof.cmd',
      source: 'path',
    });
  });

  it('skips relative PATH entries', () => {
    const r = resolveBinary(req({ workspaceFolders: [] }), env(['bin/ruff-lsp'], { pathVariable: 'bin::/usr/bin' }));
    assert.equal(r.found, false);
  });
});

describe('isExecutableFile', () => {
  it('accepts executable files only', () => {
    const dir = makeTempDir('exec');
    const exe = writeExecutable(path.join(dir, 'ruff-lsp'), '#!/bin/sh\n');
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '', { mode: 0o644 });
    assert.equal(isExecutableFile(exe), true);
    assert.equal(isExecutableFile(dir), false);
    assert.equal(isExecutableFile(path.join(dir, 'missing')), false);
    if (process.platform !== 'win32') {
      assert.equal(isExecutableFile(plain), false);
    }
  });
});
