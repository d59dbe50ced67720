import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, flamegraphHtml, makeNonce, prepareSvg } from '../src/profileView';

const SVG = `<?xml version="1.0" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg version="1.1" width="1200" onload="init(evt)" xmlns="http://www.w3.org/2000/svg">
<script type="text/ecmascript"><![CDATA[
  function init(evt) { for (var i = 0; i<n; i++) { x.innerHTML = '<g onclick="zoom(this)">'; } }
]]></script>
<script>var second = 1;</script>
<g id="frames"><g onmouseover='s(this)' class="func_g"><title>fib (fib.ruff:3) &lt;native&gt;</title></g></g>
</svg>`;

describe('prepareSvg', () => {
  const out = prepareSvg(SVG, 'N0NCE');

  it('drops the XML prolog and doctype', () => {
    assert.doesNotMatch(out, /<\?xml/);
    assert.doesNotMatch(out, /DOCTYPE/);
    assert.ok(out.startsWith('<svg'));
  });

  it('stamps the nonce on every script', () => {
    assert.equal(out.match(/<script nonce="N0NCE"/g)?.length, 2);
    assert.doesNotMatch(out, /<script(?! nonce)/);
  });

  it('removes inline handlers from tags but leaves script text alone', () => {
    assert.doesNotMatch(out, /<svg[^>]*onload/);
    assert.doesNotMatch(out, /onmouseover/);
    assert.match(out, /x\.innerHTML = '<g onclick="zoom\(this\)">'/);
    assert.match(out, /i<n; i\+\+/);
    assert.match(out, /<g class="func_g">/);
    assert.match(out, /fib \(fib\.ruff:3\) &lt;native&gt;/);
  });
});

describe('flamegraphHtml', () => {
  const nonce = makeNonce();
  const html = flamegraphHtml({ svg: SVG, title: 'Flamegraph: <x>.ruff', nonce, cspSource: 'https://cdn.example' });

  it('allows only nonce-carrying scripts', () => {
    const csp = contentSecurityPolicy(nonce, 'https://cdn.example');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.doesNotMatch(csp.split('; ').find((d) => d.startsWith('script-src')) ?? '', /unsafe-inline/);
    assert.ok(html.includes(`content="${csp}"`));
  });

  it('gives every script in the page the nonce', () => {
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 3);
    for (const s of scripts) {
      assert.ok(s.includes(`nonce="${nonce}"`), s);
    }
  });

  it('has no inline event handlers left', () => {
    assert.doesNotMatch(html.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''), /\son[a-z]+\s*=/);
  });

  it('escapes the title and avoids the ids inferno uses', () => {
    assert.match(html, /<title>Flamegraph: &#60;x&#62;\.ruff<\/title>/);
    const ids = [...html.replace(/<svg[\s\S]*<\/svg>/, '').matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.length > 0 && ids.every((id) => id?.startsWith('ruffprof-')), ids.join());
  });

  it('makes fresh nonces', () => {
    assert.notEqual(makeNonce(), makeNonce());
    assert.ok(Buffer.from(makeNonce(), 'base64').length >= 16);
  });
});
