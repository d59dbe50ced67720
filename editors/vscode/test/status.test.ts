import { strict as assert } from 'node:assert';
import { beforeEach, describe, it } from 'node:test';
import { State } from 'vscode-languageclient/node';
import {
  CLIENT_STATE,
  describeStatus,
  ServerStatus,
  ServerStatusBar,
  statusAfterStateChange,
  statusFromClientState,
} from '../src/status';
import { resetStub, stub } from './helpers';

describe('status mapping', () => {
  it('mirrors the numbers of vscode-languageclient State', () => {
    assert.equal(CLIENT_STATE.Stopped, State.Stopped);
    assert.equal(CLIENT_STATE.Running, State.Running);
    assert.equal(CLIENT_STATE.Starting, State.Starting);
  });

  it('maps client states to statuses', () => {
    assert.equal(statusFromClientState(State.Starting), 'starting');
    assert.equal(statusFromClientState(State.Running), 'running');
    assert.equal(statusFromClientState(State.Stopped), 'stopped');
    assert.equal(statusFromClientState(99), 'error');
  });

  it('treats a stop of the current client as an error', () => {
    assert.equal(statusAfterStateChange(State.Stopped), 'error');
    assert.equal(statusAfterStateChange(State.Running), 'running');
    assert.equal(statusAfterStateChange(State.Starting), 'starting');
  });

  it('describes every status with an icon, a tooltip and a severity', () => {
    const expected: Record<ServerStatus, [RegExp, string]> = {
      starting: [/sync~spin/, 'none'],
      running: [/check/, 'none'],
      stopped: [/circle-slash/, 'warning'],
      error: [/error/, 'error'],
    };
    for (const [status, [icon, severity]] of Object.entries(expected) as [ServerStatus, [RegExp, string]][]) {
      const view = describeStatus(status);
      assert.match(view.text, icon);
      assert.match(view.text, /Ruff/);
      assert.match(view.tooltip, new RegExp(status));
      assert.equal(view.severity, severity);
    }
    assert.match(describeStatus('error', 'ruff-lsp was not found').tooltip, /ruff-lsp was not found/);
  });
});

describe('ServerStatusBar', () => {
  beforeEach(() => resetStub());

  it('shows the item and updates text, tooltip and colour', () => {
    const bar = new ServerStatusBar('ruffLang.showOutput');
    const item = stub().statusBarItems[0]!;
    // Read through a function: assert.equal() narrows its argument's type.
    const background = (): string | undefined => item.backgroundColor?.id;
    assert.equal(item.visible, true);
    assert.equal(item.command, 'ruffLang.showOutput');
    assert.equal(bar.status, 'stopped');

    bar.set('running');
    assert.match(item.text, /check/);
    assert.equal(background(), undefined);

    bar.set('error', 'boom');
    assert.equal(bar.status, 'error');
    assert.match(item.tooltip ?? '', /boom/);
    assert.equal(background(), 'statusBarItem.errorBackground');

    bar.dispose();
    assert.equal(item.disposed, true);
  });
});
