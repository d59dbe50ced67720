// A stand-in for the `vscode` module, so the extension's code runs under
// plain Node without downloading VS Code. It implements the API surface the
// extension uses and records what the extension did (in `__stub`) for the
// tests to inspect. `register.js` makes `require('vscode')` resolve here.
'use strict';

const path = require('node:path');

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose() {
    if (this._fn) {
      this._fn();
      this._fn = undefined;
    }
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg) => {
      const bound = listener.bind(thisArg);
      this._listeners.add(bound);
      return new Disposable(() => this._listeners.delete(bound));
    };
  }
  fire(value) {
    for (const l of [...this._listeners]) {
      l(value);
    }
  }
  dispose() {
    this._listeners.clear();
  }
}

class Uri {
  constructor(scheme, p) {
    this.scheme = scheme;
    this.path = p;
    this.fsPath = scheme === 'file' ? path.normalize(p) : p;
  }
  static file(p) {
    return new Uri('file', p);
  }
  static parse(s) {
    const m = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(s);
    if (!m) {
      return new Uri('file', s);
    }
    return new Uri(m[1], decodeURIComponent(m[2]));
  }
  static joinPath(base, ...parts) {
    return new Uri(base.scheme, path.posix.join(base.path, ...parts));
  }
  with(change) {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString() {
    return this.scheme === 'file' ? `file://${encodeURI(this.path)}` : `${this.scheme}:${this.path}`;
  }
  toJSON() {
    return { scheme: this.scheme, path: this.path, fsPath: this.fsPath };
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this._emitter = emitter;
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
  }
  cancel() {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this._emitter.fire(undefined);
    }
  }
  dispose() {
    this._emitter.dispose();
  }
}

// Classes vscode-languageclient subclasses when it loads.
class CompletionItem {}
class CodeLens {}
class DocumentLink {}
class CodeAction {}
class Diagnostic {}
class CallHierarchyItem {}
class TypeHierarchyItem {}
class SymbolInformation {}
class InlayHint {}
class CancellationError extends Error {}

// vscode-languageclient's protocol converter builds tables of these at start.
class CodeActionKind {
  constructor(value) {
    this.value = value;
  }
  append(part) {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
}
for (const [name, value] of Object.entries({
  Empty: '',
  QuickFix: 'quickfix',
  Refactor: 'refactor',
  RefactorExtract: 'refactor.extract',
  RefactorInline: 'refactor.inline',
  RefactorMove: 'refactor.move',
  RefactorRewrite: 'refactor.rewrite',
  Source: 'source',
  SourceOrganizeImports: 'source.organizeImports',
  SourceFixAll: 'source.fixAll',
  Notebook: 'notebook',
})) {
  CodeActionKind[name] = new CodeActionKind(value);
}

function freshState() {
  return {
    trusted: true,
    /** Values by full key, e.g. `ruffLang.server.path`. */
    config: {},
    workspaceFolders: undefined,
    activeTextEditor: undefined,
    textDocuments: [],
    commands: new Map(),
    executedCommands: [],
    statusBarItems: [],
    outputChannels: [],
    terminals: [],
    messages: [],
    /** Answer the next message with this button, if set. */
    messageChoice: undefined,
    webviewPanels: [],
    onDidChangeConfiguration: new EventEmitter(),
    onDidGrantWorkspaceTrust: new EventEmitter(),
  };
}

const stub = { state: freshState() };
stub.reset = () => {
  stub.state = freshState();
};

function message(kind) {
  return (text, ...items) => {
    stub.state.messages.push({ kind, text, items: items.filter((i) => typeof i === 'string') });
    return Promise.resolve(stub.state.messageChoice);
  };
}

function outputChannel(name) {
  const ch = {
    name,
    lines: [],
    shown: 0,
    append(t) {
      this.lines.push(t);
    },
    appendLine(t) {
      this.lines.push(`${t}\n`);
    },
    replace(t) {
      this.lines = [t];
    },
    clear() {
      this.lines = [];
    },
    show() {
      this.shown += 1;
    },
    hide() {},
    dispose() {},
    get text() {
      return this.lines.join('');
    },
  };
  stub.state.outputChannels.push(ch);
  return ch;
}

const window = {
  get activeTextEditor() {
    return stub.state.activeTextEditor;
  },
  createStatusBarItem(idOrAlignment, alignment, priority) {
    const item = {
      id: typeof idOrAlignment === 'string' ? idOrAlignment : undefined,
      alignment: typeof idOrAlignment === 'string' ? alignment : idOrAlignment,
      priority,
      text: '',
      tooltip: undefined,
      command: undefined,
      backgroundColor: undefined,
      name: undefined,
      visible: false,
      disposed: false,
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {
        this.disposed = true;
      },
    };
    stub.state.statusBarItems.push(item);
    return item;
  },
  createOutputChannel: outputChannel,
  createTerminal(options) {
    const t = { options, name: options.name, shown: false, exitStatus: undefined, show() { this.shown = true; }, sendText() {}, dispose() {} };
    stub.state.terminals.push(t);
    return t;
  },
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  withProgress(_options, task) {
    const source = new CancellationTokenSource();
    return Promise.resolve(task({ report() {} }, source.token));
  },
  createWebviewPanel(viewType, title, showOptions, options) {
    const disposeEmitter = new EventEmitter();
    const panel = {
      viewType,
      title,
      options,
      webview: { html: '', cspSource: 'https://stub.vscode-cdn.net', options },
      revealed: 0,
      reveal() {
        this.revealed += 1;
      },
      onDidDispose: disposeEmitter.event,
      dispose() {
        disposeEmitter.fire(undefined);
      },
    };
    stub.state.webviewPanels.push(panel);
    return panel;
  },
};

const workspace = {
  get isTrusted() {
    return stub.state.trusted;
  },
  get workspaceFolders() {
    return stub.state.workspaceFolders;
  },
  get textDocuments() {
    return stub.state.textDocuments;
  },
  getWorkspaceFolder(uri) {
    return (stub.state.workspaceFolders ?? []).find((f) => uri.fsPath.startsWith(f.uri.fsPath + path.sep));
  },
  getConfiguration(section) {
    const prefix = section ? `${section}.` : '';
    return {
      get(key, fallback) {
        const full = prefix + key;
        return Object.prototype.hasOwnProperty.call(stub.state.config, full) ? stub.state.config[full] : fallback;
      },
      has(key) {
        return Object.prototype.hasOwnProperty.call(stub.state.config, prefix + key);
      },
      inspect() {
        return undefined;
      },
      update() {
        return Promise.resolve();
      },
    };
  },
  onDidChangeConfiguration: (l, t) => stub.state.onDidChangeConfiguration.event(l, t),
  onDidGrantWorkspaceTrust: (l, t) => stub.state.onDidGrantWorkspaceTrust.event(l, t),
};

const languages = {
  match() {
    return 0;
  },
  createDiagnosticCollection(name) {
    const entries = new Map();
    return {
      name,
      set(uri, diagnostics) {
        entries.set(String(uri), diagnostics);
      },
      delete(uri) {
        entries.delete(String(uri));
      },
      clear() {
        entries.clear();
      },
      forEach() {},
      get(uri) {
        return entries.get(String(uri));
      },
      has(uri) {
        return entries.has(String(uri));
      },
      dispose() {
        entries.clear();
      },
    };
  },
};

const commands = {
  registerCommand(id, handler) {
    if (stub.state.commands.has(id)) {
      // The real VS Code throws here too; the client-side command conflict
      // with vscode-languageclient depends on it.
      throw new Error(`command '${id}' already exists`);
    }
    stub.state.commands.set(id, handler);
    return new Disposable(() => stub.state.commands.delete(id));
  },
  executeCommand(id, ...args) {
    stub.state.executedCommands.push({ id, args });
    const handler = stub.state.commands.get(id);
    return Promise.resolve(handler ? handler(...args) : undefined);
  },
  getCommands() {
    return Promise.resolve([...stub.state.commands.keys()]);
  },
};

// Events the extension does not use but vscode-languageclient subscribes to
// (onDidOpenTextDocument, onDidChangeVisibleTextEditors, ...): any `onDid*` /
// `onWill*` member a namespace lacks is an event that never fires.
function withSilentEvents(namespace) {
  return new Proxy(namespace, {
    get(target, prop) {
      if (typeof prop === 'string' && !(prop in target) && /^on(Did|Will)[A-Z]/.test(prop)) {
        return () => new Disposable(() => undefined);
      }
      return target[prop];
    },
  });
}

module.exports = {
  __stub: stub,
  Disposable,
  EventEmitter,
  Uri,
  ThemeColor,
  CancellationTokenSource,
  CompletionItem,
  CodeLens,
  DocumentLink,
  CodeAction,
  Diagnostic,
  CallHierarchyItem,
  TypeHierarchyItem,
  SymbolInformation,
  InlayHint,
  CancellationError,
  CodeActionKind,
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  window: withSilentEvents(window),
  workspace: withSilentEvents(workspace),
  languages: withSilentEvents(languages),
  commands,
  env: { language: 'en', appName: 'stub' },
  version: '1.82.0',
};
