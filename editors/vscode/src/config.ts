// Settings of the extension, and what the language server gets to see of them.
//
// Everything lives under `ruffLang.`: the Python linter also called Ruff
// (charliermarsh.ruff) owns `ruff.` in VS Code, and sharing its namespace would
// make each extension read the other's settings.
//
// This module does not import `vscode`: it works on a structural reader so the
// mapping can be unit-tested with plain objects.

/** The configuration section every setting and command id of this extension uses. */
export const SECTION = 'ruffLang';

/** Setting keys, relative to {@link SECTION}. */
export const KEYS = {
  serverPath: 'server.path',
  serverExtraArgs: 'server.extraArgs',
  traceServer: 'trace.server',
  jitHintsEnabled: 'jitHints.enabled',
  parameterHints: 'inlayHints.parameterNames',
  ruffPath: 'ruffPath',
  profPath: 'profPath',
  insightTimeoutSeconds: 'insight.timeoutSeconds',
} as const;

/** The settings that name a binary to execute. Workspace trust restricts them. */
export const PATH_SETTINGS: readonly string[] = [
  KEYS.serverPath,
  KEYS.serverExtraArgs,
  KEYS.ruffPath,
  KEYS.profPath,
].map((k) => `${SECTION}.${k}`);

/** The subset of `vscode.WorkspaceConfiguration` that reading settings needs. */
export interface ConfigReader {
  get<T>(section: string): T | undefined;
}

export interface RuffSettings {
  /** `ruff-lsp` path as configured; empty means "find it" (see serverPath.ts). */
  readonly serverPath: string;
  readonly serverExtraArgs: readonly string[];
  readonly jitHintsEnabled: boolean;
  /** Parameter-name inlay hints at call sites (server side). */
  readonly parameterHints: boolean;
  /** `ruff` interpreter path as configured; empty means "find it". */
  readonly ruffPath: string;
  /** `ruff-prof` path as configured; empty means "find it". */
  readonly profPath: string;
  readonly insightTimeoutSeconds: number;
}

export const DEFAULT_SETTINGS: RuffSettings = {
  serverPath: '',
  serverExtraArgs: [],
  jitHintsEnabled: true,
  parameterHints: true,
  ruffPath: '',
  profPath: '',
  insightTimeoutSeconds: 10,
};

// settings.json is hand-edited: a value of the wrong type must fall back to
// the default rather than reach the server or a spawn() call.
function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

function stringArrayOr(value: unknown, fallback: readonly string[]): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : fallback;
}

function booleanOr(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function timeoutOr(value: unknown, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return fallback;
  }
  // Same bounds as the schema in package.json, which VS Code does not enforce.
  return Math.min(Math.max(value, 1), 3600);
}

/** Reads the `ruffLang` section (as returned by `getConfiguration('ruffLang')`). */
export function readSettings(config: ConfigReader): RuffSettings {
  const d = DEFAULT_SETTINGS;
  return {
    serverPath: stringOr(config.get(KEYS.serverPath), d.serverPath),
    serverExtraArgs: stringArrayOr(config.get(KEYS.serverExtraArgs), d.serverExtraArgs),
    jitHintsEnabled: booleanOr(config.get(KEYS.jitHintsEnabled), d.jitHintsEnabled),
    parameterHints: booleanOr(config.get(KEYS.parameterHints), d.parameterHints),
    ruffPath: stringOr(config.get(KEYS.ruffPath), d.ruffPath),
    profPath: stringOr(config.get(KEYS.profPath), d.profPath),
    insightTimeoutSeconds: timeoutOr(config.get(KEYS.insightTimeoutSeconds), d.insightTimeoutSeconds),
  };
}

/**
 * What ruff-lsp is told about the settings. The same object is sent as
 * `initializationOptions` at start and as `settings` in
 * `workspace/didChangeConfiguration` later, so the server parses one shape.
 */
export interface ServerSettings {
  readonly jitHints: boolean;
  readonly parameterHints: boolean;
}

export function serverSettings(settings: RuffSettings): ServerSettings {
  return { jitHints: settings.jitHintsEnabled, parameterHints: settings.parameterHints };
}

export function initializationOptions(settings: RuffSettings): ServerSettings {
  return serverSettings(settings);
}

export function didChangeConfigurationParams(settings: RuffSettings): { settings: ServerSettings } {
  return { settings: serverSettings(settings) };
}

/**
 * How the running server must react to a configuration change:
 * a new binary or new arguments need a restart, JIT hints only a notification.
 * (`trace.server` is watched by vscode-languageclient itself, because the
 * client id is `ruffLang`.)
 */
export type ConfigImpact = 'restart' | 'notify' | 'none';

export function configurationImpact(affects: (qualifiedKey: string) => boolean): ConfigImpact {
  const q = (key: string): boolean => affects(`${SECTION}.${key}`);
  if (q(KEYS.serverPath) || q(KEYS.serverExtraArgs)) {
    return 'restart';
  }
  if (q(KEYS.jitHintsEnabled) || q(KEYS.parameterHints)) {
    return 'notify';
  }
  return 'none';
}
