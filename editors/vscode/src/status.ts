// The status bar item that shows what the language server is doing.
//
// The mapping from client state to text is pure (and unit-tested); the small
// `ServerStatusBar` class only copies the result onto a VS Code item.

import * as vscode from 'vscode';

export type ServerStatus = 'starting' | 'running' | 'stopped' | 'error';

/**
 * vscode-languageclient's `State` enum, mirrored so this module does not load
 * the client library. The numbers are the library's (Stopped = 1,
 * Running = 2, Starting = 3); a unit test checks them against it.
 */
export const CLIENT_STATE = { Stopped: 1, Running: 2, Starting: 3 } as const;

export function statusFromClientState(state: number): ServerStatus {
  switch (state) {
    case CLIENT_STATE.Starting:
      return 'starting';
    case CLIENT_STATE.Running:
      return 'running';
    case CLIENT_STATE.Stopped:
      return 'stopped';
    default:
      // A state this version does not know: say so rather than guess.
      return 'error';
  }
}

/**
 * The status to show after the current client changed state. The client
 * only knows "stopped"; the extension detaches a client before stopping it on
 * purpose, so a stop seen here is one nobody asked for (the server crashed,
 * or the client gave up restarting it): an error to the user.
 */
export function statusAfterStateChange(newState: number): ServerStatus {
  const status = statusFromClientState(newState);
  return status === 'stopped' ? 'error' : status;
}

export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  /** Which background the item gets: none, a warning or an error colour. */
  readonly severity: 'none' | 'warning' | 'error';
}

export function describeStatus(status: ServerStatus, detail?: string): StatusView {
  const suffix = detail !== undefined && detail !== '' ? `\n${detail}` : '';
  switch (status) {
    case 'starting':
      return { text: '$(sync~spin) Ruff', tooltip: `Ruff language server: starting${suffix}`, severity: 'none' };
    case 'running':
      return { text: '$(check) Ruff', tooltip: `Ruff language server: running${suffix}`, severity: 'none' };
    case 'stopped':
      return { text: '$(circle-slash) Ruff', tooltip: `Ruff language server: stopped${suffix}`, severity: 'warning' };
    case 'error':
      return { text: '$(error) Ruff', tooltip: `Ruff language server: error${suffix}`, severity: 'error' };
  }
}

const BACKGROUND: Record<StatusView['severity'], string | undefined> = {
  none: undefined,
  warning: 'statusBarItem.warningBackground',
  error: 'statusBarItem.errorBackground',
};

export class ServerStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private current: ServerStatus = 'stopped';

  constructor(clickCommand: string) {
    this.item = vscode.window.createStatusBarItem('ruffLang.serverStatus', vscode.StatusBarAlignment.Left, 0);
    this.item.name = 'Ruff Language Server';
    // Clicking opens the server log: that is where the reason for a
    // stopped or failed server is.
    this.item.command = clickCommand;
    this.set('stopped');
    this.item.show();
  }

  get status(): ServerStatus {
    return this.current;
  }

  set(status: ServerStatus, detail?: string): void {
    this.current = status;
    const view = describeStatus(status, detail);
    this.item.text = view.text;
    this.item.tooltip = `${view.tooltip}\nClick to show the server output.`;
    const bg = BACKGROUND[view.severity];
    this.item.backgroundColor = bg === undefined ? undefined : new vscode.ThemeColor(bg);
  }

  dispose(): void {
    this.item.dispose();
  }
}
