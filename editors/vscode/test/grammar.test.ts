// The TextMate grammar, tokenized by the same engine VS Code uses
// (vscode-textmate + vscode-oniguruma, both running offline from node_modules).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { EXTENSION_ROOT, readJson } from './helpers';

const GRAMMAR_PATH = path.join(EXTENSION_ROOT, 'syntaxes', 'ruff.tmLanguage.json');

interface Token {
  text: string;
  scopes: string[];
}

let grammar: vsctm.IGrammar;

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === 'source.ruff' ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH) : null,
  });
  const g = await registry.loadGrammar('source.ruff');
  assert.ok(g, 'grammar loads');
  return g;
}

/** Tokenizes `lines` in sequence (so multi-line state carries over). */
function tokenize(...lines: string[]): Token[][] {
  let state = vsctm.INITIAL;
  return lines.map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/**
 * The scopes of the nth token whose text is `text` (exactly, or else once
 * trimmed: unscoped identifiers share a token with the spaces around them).
 */
function scopesOf(tokens: Token[], text: string, nth = 0): string[] {
  const exact = tokens.filter((t) => t.text === text);
  const hits = exact.length > 0 ? exact : tokens.filter((t) => t.text.trim() === text);
  const hit = hits[nth];
  assert.ok(hit, `no token ${JSON.stringify(text)} in ${JSON.stringify(tokens.map((t) => t.text))}`);
  return hit.scopes;
}

function assertScope(tokens: Token[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(tokens, text, nth);
  assert.ok(
    scopes.some((s) => s === scope || s.startsWith(`${scope}.`)),
    `${JSON.stringify(text)} has scopes ${scopes.join(' ')}, expected ${scope}`,
  );
}

function assertNoScope(tokens: Token[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(tokens, text, nth);
  assert.ok(!scopes.some((s) => s.startsWith(scope)), `${JSON.stringify(text)} unexpectedly has ${scope}: ${scopes.join(' ')}`);
}

describe('grammar file', () => {
  const raw = readJson<{ scopeName: string; patterns: unknown[]; repository: Record<string, unknown> }>('syntaxes/ruff.tmLanguage.json');

  it('is JSON with the scope name package.json declares', () => {
    const pkg = readJson<{ contributes: { grammars: { language: string; scopeName: string; path: string }[] } }>('package.json');
    const [contribution] = pkg.contributes.grammars;
    assert.equal(contribution?.language, 'ruff');
    assert.equal(contribution?.scopeName, raw.scopeName);
    assert.equal(path.resolve(EXTENSION_ROOT, contribution?.path ?? ''), GRAMMAR_PATH);
  });

  it('has every #include defined and every regex accepted by Oniguruma', async () => {
    await loadGrammar(); // initialises the WASM
    const includes: string[] = [];
    const regexes: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'include' && typeof v === 'string') includes.push(v);
          else if ((k === 'match' || k === 'begin' || k === 'end') && typeof v === 'string') regexes.push(v);
          else walk(v);
        }
      }
    };
    walk(raw);
    for (const inc of includes) {
      assert.ok(inc === '$self' || (inc.startsWith('#') && inc.slice(1) in raw.repository), `undefined include ${inc}`);
    }
    assert.ok(regexes.length > 40);
    for (const re of regexes) {
      assert.doesNotThrow(() => new oniguruma.OnigScanner([re]).dispose(), `regex ${re}`);
    }
  });
});

describe('tokenizing Ruff', () => {
  before(async () => {
    grammar = await loadGrammar();
  });

  it('scopes keywords, constants and bindings', () => {
    const [t] = tokenize('mut total := 0; while i < 10 { if ok && !done { break } else { continue } }; x = null ?? true');
    assertScope(t!, 'mut', 'storage.modifier');
    assertScope(t!, ':=', 'keyword.operator.assignment.binding');
    assertScope(t!, 'while', 'keyword.control.loop');
    assertScope(t!, 'if', 'keyword.control.conditional');
    assertScope(t!, 'break', 'keyword.control.flow');
    assertScope(t!, '&&', 'keyword.operator.logical');
    assertScope(t!, 'null', 'constant.language.null');
    assertScope(t!, '??', 'keyword.operator.null-coalescing');
    assertScope(t!, 'true', 'constant.language.boolean');
    const [t2] = tokenize('try { throw("x") } except err { print(err.message) }');
    assertScope(t2!, 'try', 'keyword.control.exception');
    assertScope(t2!, 'except', 'keyword.control.exception');
    assertScope(t2!, 'print', 'support.function.builtin');
    assertScope(t2!, 'message', 'variable.other.property');
  });

  it('scopes all comment forms, doc comments included', () => {
    const [doc, hash, slash, block] = tokenize('/// Adds two numbers.', 'x := 1 # note', 'y := 2 // note', 'z := /* inline */ 3');
    assertScope(doc!, '///', 'comment.line.documentation');
    assertScope(doc!, ' Adds two numbers.', 'comment.line.documentation');
    assertScope(hash!, ' note', 'comment.line.number-sign');
    assertScope(slash!, ' note', 'comment.line.double-slash');
    assertScope(block!, ' inline ', 'comment.block');
    assertScope(block!, '3', 'constant.numeric.integer');
    const [open, middle, close] = tokenize('/* starts', 'still "not a string"', 'ends */ done()');
    assertScope(open!, ' starts', 'comment.block');
    assertScope(middle!, 'still "not a string"', 'comment.block');
    assertScope(close!, 'done', 'entity.name.function.call');
    assertNoScope(close!, 'done', 'comment');
  });

  it('scopes strings, escapes and ${} interpolation with expression scopes inside', () => {
    const [t] = tokenize('let msg := "sum: ${add(1_000, 2.5e-3)}\\n\\u{1F600} done" # trailing');
    assertScope(t!, 'let', 'storage.type');
    assertScope(t!, 'sum: ', 'string.quoted.double');
    assertScope(t!, '${', 'punctuation.section.interpolation.begin');
    assertScope(t!, 'add', 'entity.name.function.call');
    assertScope(t!, 'add', 'meta.embedded.line');
    assertScope(t!, '1_000', 'constant.numeric.integer');
    assertScope(t!, '2.5e-3', 'constant.numeric.float');
    assertScope(t!, '}', 'punctuation.section.interpolation.end');
    assertScope(t!, '\\n', 'constant.character.escape');
    assertScope(t!, '\\u{1F600}', 'constant.character.escape');
    assertScope(t!, ' done', 'string.quoted.double');
    assertNoScope(t!, ' done', 'meta.interpolation');
    assertScope(t!, ' trailing', 'comment.line.number-sign');
  });

  it('balances braces and nests strings inside interpolation', () => {
    const [t] = tokenize('"a ${ {"k": "${x}"}["k"] } b"');
    assertScope(t!, 'k', 'string.quoted.double', 0);
    assertScope(t!, 'k', 'meta.interpolation', 0);
    assertScope(t!, 'x', 'meta.embedded.line');
    // Two interpolations deep: the inner `${x}` sits inside the outer one.
    assert.equal(scopesOf(t!, 'x').filter((s) => s.startsWith('meta.interpolation')).length, 2);
    assertScope(t!, ' b', 'string.quoted.double');
    assertNoScope(t!, ' b', 'meta.interpolation');
  });

  it('keeps single-quoted strings free of interpolation and flags unknown escapes', () => {
    const [t] = tokenize("s := 'no ${x} here \\q \\$'");
    assertScope(t!, 'no ${x} here ', 'string.quoted.single');
    assertNoScope(t!, 'no ${x} here ', 'meta.interpolation');
    assertScope(t!, '\\q', 'invalid.illegal.unknown-escape');
    assertScope(t!, '\\$', 'constant.character.escape');
  });

  it('scopes numbers with underscores, fractions and exponents', () => {
    const [t] = tokenize('n := [1_000_000, 0.25, 1e3, 2.5E+10, 42]');
    assertScope(t!, '1_000_000', 'constant.numeric.integer');
    assertScope(t!, '0.25', 'constant.numeric.float');
    assertScope(t!, '1e3', 'constant.numeric.float');
    assertScope(t!, '2.5E+10', 'constant.numeric.float');
    assertScope(t!, '42', 'constant.numeric.integer');
  });

  it('scopes function declarations, parameters, annotations and calls', () => {
    const [decl, anon, call] = tokenize(
      'func typed(self, a: int, b) -> float { return a + b }',
      'twice := func(f, x) { return f(f(x)) }',
      'total := items.len() + compute(3) + obj?.size()',
    );
    assertScope(decl!, 'func', 'storage.type.function');
    assertScope(decl!, 'typed', 'entity.name.function');
    assertScope(decl!, 'self', 'variable.language.self');
    assertScope(decl!, 'a', 'variable.parameter');
    assertScope(decl!, 'int', 'entity.name.type');
    assertScope(decl!, 'b', 'variable.parameter');
    assertScope(decl!, 'float', 'entity.name.type');
    assertScope(decl!, 'return', 'keyword.control.flow');
    assertScope(anon!, 'func', 'storage.type.function');
    assertScope(anon!, 'f', 'variable.parameter');
    assertScope(anon!, 'f', 'entity.name.function.call', 1);
    assertScope(call!, 'len', 'entity.name.function.member');
    assertScope(call!, 'compute', 'entity.name.function.call');
    assertScope(call!, '?.', 'keyword.operator.optional-chaining');
    assertScope(call!, 'size', 'entity.name.function.member');
  });

  it('scopes struct and enum declarations, literals and Name::Variant paths', () => {
    const [st, en, lit, path_, arm] = tokenize(
      'struct Point {',
      'enum Shape { Circle, Square }',
      'p := Point { x: 3.0, y: 4.0 }',
      's := Shape::Circle(2.0)',
      'match s { case Ok(v): { print(v) } case Color::Red: {} case _: {} }',
    );
    assertScope(st!, 'struct', 'storage.type.struct');
    assertScope(st!, 'Point', 'entity.name.type.struct');
    assertScope(en!, 'enum', 'storage.type.enum');
    assertScope(en!, 'Shape', 'entity.name.type.enum');
    assertScope(en!, 'Circle', 'variable.other.enummember');
    assertScope(en!, 'Square', 'variable.other.enummember');
    assertScope(lit!, 'Point', 'entity.name.type.struct');
    assertScope(path_!, 'Shape', 'entity.name.type');
    assertScope(path_!, '::', 'punctuation.separator.namespace');
    assertScope(path_!, 'Circle', 'variable.other.enummember');
    assertScope(arm!, 'match', 'keyword.control.conditional');
    assertScope(arm!, 'case', 'keyword.control.conditional');
    assertScope(arm!, 'Ok', 'support.function.constructor');
    assertScope(arm!, 'Red', 'variable.other.enummember');
  });

  it('scopes the operators := |> ?? ?. ... and compound assignment', () => {
    const [t] = tokenize('r := [...xs, 4] |> sum; y = a ?? b?.c; n += 1; ok := a == b || a != c');
    assertScope(t!, ':=', 'keyword.operator.assignment.binding');
    assertScope(t!, '...', 'keyword.operator.spread');
    assertScope(t!, '|>', 'keyword.operator.pipe');
    assertScope(t!, '??', 'keyword.operator.null-coalescing');
    assertScope(t!, '?.', 'keyword.operator.optional-chaining');
    assertScope(t!, 'c', 'variable.other.property');
    assertScope(t!, '+=', 'keyword.operator.assignment.compound');
    assertScope(t!, '=', 'keyword.operator.assignment');
    assertScope(t!, '==', 'keyword.operator.comparison');
    assertScope(t!, '||', 'keyword.operator.logical');
  });

  it('reads E as the constant except as an enum name', () => {
    const [t] = tokenize('x := E * 2; y := E::A');
    assertScope(t!, 'E', 'support.constant.math', 0);
    assertScope(t!, 'E', 'entity.name.type', 1);
  });

  it('marks builtins only where they are called', () => {
    const [t] = tokenize('sum := 0; sum += len(xs)');
    assertNoScope(t!, 'sum', 'support.function');
    assertScope(t!, 'len', 'support.function.builtin');
  });
});
