// Shows a flamegraph SVG written by `ruff-prof` in a webview panel.
//
// Why the SVG is embedded inline instead of loaded through
// `webview.asWebviewUri` in an <iframe>:
//  - inferno's search asks for the term with `prompt()`, which the webview
//    sandbox blocks (no `allow-modals`). The page therefore provides its own
//    search box that calls the SVG's global `search()` — possible only when
//    the SVG's script runs in the page's own document.
//  - The page's Content-Security-Policy then governs the SVG's scripts too.
//    A document in a nested iframe is not covered by the parent's CSP, and
//    whether the webview's resource loader serves nested frames has changed
//    between VS Code versions; inline is the predictable option.
//  - Scripts are allowed by a fresh nonce that this module stamps on the
//    SVG's own <script> elements; the CSP has no 'unsafe-inline' or
//    'unsafe-eval' for scripts, so nothing else in the document can run.
//    Inline event-handler attributes (inferno's `onload="init(evt)"`) cannot
//    carry a nonce, so they are removed and the page calls `init()` itself;
//    inferno wires zoom, hover and keyboard handling with addEventListener.
// Checked with inferno 0.12 output in headless Chromium: init() runs, search
// and zoom work, and a script without the nonce is blocked.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';

export function makeNonce(): string {
  return crypto.randomBytes(16).toString('base64');
}

const CDATA = /(<!\[CDATA\[[\s\S]*?\]\]>)/;

/**
 * Turns a standalone SVG document into markup that can sit inside our HTML:
 * drops the XML prolog and doctype, stamps `nonce` on every <script>, and
 * removes `on*=` handler attributes. CDATA sections (where inferno keeps its
 * JavaScript) are left untouched, so code like `a<b` is never mistaken for a tag.
 */
export function prepareSvg(svg: string, nonce: string): string {
  return svg
    .split(CDATA)
    .map((part, i) => {
      if (i % 2 === 1) {
        return part; // a CDATA section
      }
      return part
        .replace(/<\?xml[\s\S]*?\?>/g, '')
        .replace(/<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>/gi, '')
        .replace(/<script\b/gi, `<script nonce="${nonce}"`)
        .replace(/<[A-Za-z][^<>]*>/g, (tag) => tag.replace(/\s+on[A-Za-z]+\s*=\s*("[^"]*"|'[^']*')/g, ''));
    })
    .join('')
    .trim();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface FlamegraphPage {
  readonly svg: string;
  readonly title: string;
  readonly nonce: string;
  /** `webview.cspSource`, for the styles VS Code injects into the page. */
  readonly cspSource: string;
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // inferno styles its frames with a <style> element and attributes.
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function flamegraphHtml(page: FlamegraphPage): string {
  const { nonce } = page;
  // Element ids carry a `ruffprof-` prefix: inferno looks its own elements up
  // by plain ids ("search", "details", "frames"...) in the same document.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(nonce, page.cspSource)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(page.title)}</title>
<style>
  body { padding: 0.5em; }
  #ruffprof-toolbar { display: flex; gap: 0.5em; align-items: center; margin-bottom: 0.5em; font-family: var(--vscode-font-family); }
  #ruffprof-toolbar input { flex: 1; max-width: 30em; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
  #ruffprof-toolbar button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 3px 10px; cursor: pointer; }
  #ruffprof-graph svg { width: 100%; height: auto; }
</style>
</head>
<body>
<div id="ruffprof-toolbar">
  <strong>${escapeHtml(page.title)}</strong>
  <input id="ruffprof-search" type="search" placeholder="Search functions (regexp), Enter to highlight">
  <button id="ruffprof-clear" type="button">Clear search</button>
  <button id="ruffprof-unzoom" type="button">Reset zoom</button>
</div>
<div id="ruffprof-graph">
${prepareSvg(page.svg, nonce)}
</div>
<script nonce="${nonce}">
(function () {
  'use strict';
  var input = document.getElementById('ruffprof-search');
  function call(name, arg) {
    var fn = window[name];
    if (typeof fn === 'function') { fn(arg); }
  }
  // inferno's Ctrl+F calls prompt(), which the webview blocks: focus our box instead.
  window.prompt = function () { input.focus(); return null; };
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') {
      if (input.value === '') { call('reset_search'); } else { call('search', input.value); }
    }
  });
  document.getElementById('ruffprof-clear').addEventListener('click', function () {
    input.value = '';
    call('reset_search');
  });
  document.getElementById('ruffprof-unzoom').addEventListener('click', function () { call('unzoom'); });
  // Stands in for the SVG's load handler, which prepareSvg() removed.
  call('init', { target: document.querySelector('#ruffprof-graph svg') });
})();
</script>
</body>
</html>`;
}

let panel: vscode.WebviewPanel | undefined;

/** Opens (or refreshes) the flamegraph panel with the SVG at `svgFile`. */
export async function showFlamegraph(svgFile: string, title: string): Promise<void> {
  const svg = await fs.readFile(svgFile, 'utf8');
  if (panel === undefined) {
    panel = vscode.window.createWebviewPanel('ruffLang.flamegraph', title, vscode.ViewColumn.Beside, {
      enableScripts: true,
      // Everything is inline; the page needs no file from disk.
      localResourceRoots: [],
    });
    panel.onDidDispose(() => {
      panel = undefined;
    });
  }
  panel.title = title;
  panel.webview.html = flamegraphHtml({ svg, title, nonce: makeNonce(), cspSource: panel.webview.cspSource });
  panel.reveal(undefined, true);
}
