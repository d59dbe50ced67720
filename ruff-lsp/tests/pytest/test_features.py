"""ruff-lsp through a real LSP client (pygls, VS Code capabilities)."""

import asyncio
import os
import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient

RUFF_BIN = os.environ.get("RUFF_BIN") or str(pathlib.Path(os.environ["RUFF_LSP_BIN"]).with_name("ruff"))

PROGRAM = """\
/// Adds two numbers.
func add(a, b) {
    return a + b
}
mut total := 0
for i in range(0, 10) {
    total = add(total, i)
}
print(total)
"""


def pos(line, character):
    return types.Position(line=line, character=character)


def open_doc(client: LanguageClient, uri: str, text: str):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="ruff", version=1, text=text)
        )
    )


async def diagnostics_for(client: LanguageClient, uri: str, version=None, timeout=10.0):
    """Wait until diagnostics for `uri` (and `version`, if given) arrive."""

    async def wait():
        while True:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if uri in client.diagnostics:
                return client.diagnostics[uri]

    return await asyncio.wait_for(wait(), timeout)


def doc(uri):
    return types.TextDocumentIdentifier(uri=uri)


async def test_server_info(client: LanguageClient):
    assert client.capabilities is not None


async def test_diagnostics_on_open_and_change(client: LanguageClient, tmp_path):
    uri = (tmp_path / "bad.ruff").as_uri()
    open_doc(client, uri, "let a := 1\na = 2\nprint(zz)\nbreak\n")
    diags = await diagnostics_for(client, uri)
    codes = sorted(d.code for d in diags)
    assert codes == ["E0006", "W0001", "W0002"], codes
    brk = next(d for d in diags if d.code == "E0006")
    assert brk.severity == types.DiagnosticSeverity.Error
    assert (brk.range.start.line, brk.range.start.character, brk.range.end.character) == (3, 0, 5)

    client.diagnostics.clear()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=pos(3, 0), end=pos(3, 5)), text="print(a)"
                ),
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=pos(1, 0), end=pos(1, 3)), text="b :="
                ),
            ],
        )
    )
    diags = await diagnostics_for(client, uri)
    assert [d.code for d in diags] == ["W0001"], diags


async def test_hover_definition_references_rename(client: LanguageClient, tmp_path):
    uri = (tmp_path / "nav.ruff").as_uri()
    open_doc(client, uri, PROGRAM)
    await diagnostics_for(client, uri)

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=pos(6, 13))
    )
    assert "func add(a, b)" in hover.contents.value
    assert "Adds two numbers." in hover.contents.value

    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=pos(6, 13))
    )
    loc = definition if isinstance(definition, types.Location) else definition[0]
    assert (loc.range.start.line, loc.range.start.character) == (1, 5)

    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri),
            position=pos(4, 5),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == [
        (4, 4),
        (6, 4),
        (6, 16),
        (8, 6),
    ]

    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=pos(2, 11), new_name="first")
    )
    edits = edit.changes[uri]
    # Only the parameter `a` of add (declaration and use), nothing else.
    assert sorted((e.range.start.line, e.range.start.character) for e in edits) == [(1, 9), (2, 11)]


async def test_completion_is_scope_aware_with_snippets(client: LanguageClient, tmp_path):
    uri = (tmp_path / "complete.ruff").as_uri()
    open_doc(client, uri, PROGRAM)
    await diagnostics_for(client, uri)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(2, 4))
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    by_label = {i.label: i for i in items}
    assert {"a", "b", "add", "total", "print", "push"} <= set(by_label)
    assert "i" not in by_label, "the loop variable is not visible inside add"
    assert by_label["push"].insert_text == "push(${1:array}, ${2:value})"
    assert by_label["push"].insert_text_format == types.InsertTextFormat.Snippet


async def test_static_jit_inlay_hints_and_lenses(client: LanguageClient, tmp_path):
    uri = (tmp_path / "hints.ruff").as_uri()
    open_doc(client, uri, PROGRAM)
    await diagnostics_for(client, uri)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc(uri), range=types.Range(start=pos(0, 0), end=pos(20, 0)))
    )
    hints = [h for h in hints if h.kind != types.InlayHintKind.Parameter]
    assert [(h.position.line, h.label) for h in hints] == [(5, "⚡ JIT-eligible")]
    assert hints[0].position.character == len("for i in range(0, 10) {")
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    titles = [(l.range.start.line, l.command.title) for l in lenses]
    assert (0, "▶ Run with JIT insight") in titles
    assert (1, "⚡ JIT-eligible") in titles


async def test_run_with_jit_insight_command(client: LanguageClient, tmp_path):
    assert os.access(os.environ.get("RUFF_BIN") or "", os.X_OK) or pathlib.Path(
        os.environ["RUFF_LSP_BIN"]
    ).with_name("ruff").exists(), "build the ruff binary next to ruff-lsp (cargo build --release -p ruff-core)"
    sentinel = tmp_path / "sentinel.txt"
    source = f'write_file("{sentinel}", "ran")\nprint("hello from ruff")\n' + PROGRAM
    path = tmp_path / "run.ruff"
    path.write_text(source)
    uri = path.as_uri()
    open_doc(client, uri, source)
    await diagnostics_for(client, uri)

    # Opening, hovering and hints never run the program.
    await client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=pos(1, 1)))
    await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc(uri), range=types.Range(start=pos(0, 0), end=pos(20, 0)))
    )
    await asyncio.sleep(0.2)
    assert not sentinel.exists()

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ruffLang.runWithJitInsight", arguments=[{"uri": uri}])
    )
    assert result["timedOut"] is False
    assert result["exitCode"] == 0, result
    assert sentinel.read_text() == "ran"
    logged = "\n".join(m.message for m in client.log_messages)
    assert "hello from ruff" in logged and "45" in logged, logged

    # The lenses were refreshed (VS Code 1.65 declares codeLens refresh but
    # not inlay hints, so only the former is sent).
    for _ in range(50):
        if client.refreshes.code_lens:
            break
        await asyncio.sleep(0.05)
    assert client.refreshes.code_lens >= 1
    assert client.refreshes.inlay_hint == 0
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    titles = [l.command.title for l in lenses]
    last_run = [t for t in titles if t.startswith("last run:")]
    assert last_run, titles
    if result["events"] == 0:
        assert "no JIT events (JIT not available)" in last_run[0]
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc(uri), range=types.Range(start=pos(0, 0), end=pos(20, 0)))
    )
    assert len([h for h in hints if h.kind != types.InlayHintKind.Parameter]) == 1


def apply_edit(text: str, edits) -> str:
    """Apply LSP text edits (ASCII text: characters are UTF-16 units)."""
    lines = text.split("\n")
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)

    def off(p):
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


async def fix_and_recheck(client: LanguageClient, uri: str, text: str, code: str, title: str):
    """Request quick fixes at the `code` diagnostic, apply the one titled
    `title`, send the new text and return the diagnostics that follow."""
    open_doc(client, uri, text)
    diags = await diagnostics_for(client, uri)
    target = next(d for d in diags if d.code == code)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=target.range,
            context=types.CodeActionContext(diagnostics=[target]),
        )
    )
    titles = [a.title for a in actions]
    action = next((a for a in actions if a.title == title), None)
    assert action is not None, titles
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.diagnostics and action.diagnostics[0].code == code
    new_text = apply_edit(text, action.edit.changes[uri])
    client.diagnostics.clear()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
        )
    )
    return new_text, await diagnostics_for(client, uri)


async def test_quick_fix_let_to_mut(client: LanguageClient, tmp_path):
    uri = (tmp_path / "immut.ruff").as_uri()
    text, diags = await fix_and_recheck(
        client, uri, "let count := 1\ncount = count + 1\nprint(count)\n", "W0002",
        "Make `count` mutable (`let` → `mut`)",
    )
    assert text.startswith("mut count := 1\n"), text
    assert list(diags) == [], diags


async def test_quick_fix_did_you_mean(client: LanguageClient, tmp_path):
    uri = (tmp_path / "typo.ruff").as_uri()
    src = "let total := 1\nfunc f() {\n  let inner := 2\n  return inner\n}\nprint(totl)\n"
    text, diags = await fix_and_recheck(client, uri, src, "W0001", "Did you mean `total`?")
    assert text.endswith("print(total)\n"), text
    assert list(diags) == [], diags


async def test_quick_fix_missing_arguments(client: LanguageClient, tmp_path):
    uri = (tmp_path / "arity.ruff").as_uri()
    src = "func area(w, h) {\n  return w\n}\nprint(area(2))\n"
    text, diags = await fix_and_recheck(client, uri, src, "W0004", "Add missing arguments: h")
    assert text.endswith("print(area(2, null))\n"), text
    assert list(diags) == [], diags


async def test_document_highlight(client: LanguageClient, tmp_path):
    uri = (tmp_path / "hl.ruff").as_uri()
    open_doc(client, uri, "mut n := 1\nn = n + 1\nfunc g(n) {\n  return n\n}\nprint(n)\n")
    await diagnostics_for(client, uri)
    hs = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=doc(uri), position=pos(1, 4))
    )
    got = [(h.range.start.line, h.range.start.character, h.kind) for h in hs]
    K = types.DocumentHighlightKind
    # The parameter `n` of g shadows the global and is not highlighted.
    assert got == [(0, 4, K.Write), (1, 0, K.Write), (1, 4, K.Read), (5, 6, K.Read)], got


async def test_workspace_symbols_across_open_documents(client: LanguageClient, tmp_path):
    a = (tmp_path / "ws_a.ruff").as_uri()
    b = (tmp_path / "ws_b.ruff").as_uri()
    open_doc(client, a, "func area_of(p) {\n  return 1\n}\n")
    open_doc(client, b, "struct Rect {\n  width\n}\nlet arena := 1\n")
    await diagnostics_for(client, b)
    syms = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="are"))
    got = sorted((s.name, s.location.uri) for s in syms)
    assert ("area_of", a) in got and ("arena", b) in got, got
    assert all(s.name != "width" for s in syms), got
    syms = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="wid"))
    assert [(s.name, s.container_name) for s in syms] == [("width", "Rect")], syms


async def test_selection_range(client: LanguageClient, tmp_path):
    uri = (tmp_path / "sel.ruff").as_uri()
    open_doc(client, uri, "print(max(a1, 2))\n")
    await diagnostics_for(client, uri)
    [r] = await client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=doc(uri), positions=[pos(0, 11)])
    )
    got = []
    while r is not None:
        got.append((r.range.start.character, r.range.end.line, r.range.end.character))
        r = r.parent
    assert got == [(10, 0, 12), (10, 0, 15), (9, 0, 16), (6, 0, 16), (5, 0, 17), (0, 1, 0)], got


async def test_quick_fix_remove_unused_variable(client: LanguageClient, tmp_path):
    uri = (tmp_path / "unused.ruff").as_uri()
    src = "func f(x) {\n  let tmp := x * 2\n  return x\n}\nprint(f(1))\n"
    text, diags = await fix_and_recheck(client, uri, src, "W0007", "Remove unused variable `tmp`")
    assert text == "func f(x) {\n  return x\n}\nprint(f(1))\n", text
    assert list(diags) == [], diags


CALLS = """\
func leaf(x) {
  return x
}
func mid(y) {
  return leaf(y) + leaf(1)
}
print(mid(1), leaf(2))
"""


async def test_call_hierarchy(client: LanguageClient, tmp_path):
    uri = (tmp_path / "calls.ruff").as_uri()
    open_doc(client, uri, CALLS)
    await diagnostics_for(client, uri)
    [leaf] = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(text_document=doc(uri), position=pos(4, 10))
    )
    assert (leaf.name, leaf.kind, leaf.selection_range.start.line) == ("leaf", types.SymbolKind.Function, 0)
    incoming = await client.call_hierarchy_incoming_calls_async(
        types.CallHierarchyIncomingCallsParams(item=leaf)
    )
    got = sorted((c.from_.name, [r.start.line for r in c.from_ranges]) for c in incoming)
    assert got == [("<top level>", [6]), ("mid", [4, 4])], got
    mid = next(c.from_ for c in incoming if c.from_.name == "mid")
    outgoing = await client.call_hierarchy_outgoing_calls_async(
        types.CallHierarchyOutgoingCallsParams(item=mid)
    )
    assert [(c.to.name, len(c.from_ranges)) for c in outgoing] == [("leaf", 2)], outgoing
    top = next(c.from_ for c in incoming if c.from_.name == "<top level>")
    outgoing = await client.call_hierarchy_outgoing_calls_async(
        types.CallHierarchyOutgoingCallsParams(item=top)
    )
    assert [c.to.name for c in outgoing] == ["leaf", "mid"], outgoing


def decode_tokens(data):
    """Flat semantic token ints -> [(line, col, length, type, modifiers)]."""
    out, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        dl, dc, n, ty, mods = data[i : i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        out.append((line, col, n, ty, mods))
    return out


async def test_semantic_tokens_range_and_delta(client: LanguageClient, tmp_path):
    uri = (tmp_path / "tokens.ruff").as_uri()
    open_doc(client, uri, PROGRAM)
    await diagnostics_for(client, uri)
    full = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    assert full.result_id
    everything = decode_tokens(full.data)

    ranged = await client.text_document_semantic_tokens_range_async(
        types.SemanticTokensRangeParams(
            text_document=doc(uri), range=types.Range(start=pos(5, 0), end=pos(7, 0))
        )
    )
    assert decode_tokens(ranged.data) == [t for t in everything if 5 <= t[0] < 7], ranged.data

    # One edit in the middle: `add(total, i)` -> `add(i, i)` on line 6.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=pos(6, 16), end=pos(6, 21)), text="i"
                )
            ],
        )
    )
    delta = await client.text_document_semantic_tokens_full_delta_async(
        types.SemanticTokensDeltaParams(text_document=doc(uri), previous_result_id=full.result_id)
    )
    assert isinstance(delta, types.SemanticTokensDelta), delta
    assert delta.result_id and delta.result_id != full.result_id
    flat = list(full.data)
    for e in sorted(delta.edits, key=lambda e: e.start, reverse=True):
        flat[e.start : e.start + e.delete_count] = e.data or []
    fresh = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    assert flat == list(fresh.data)
    assert sum(len(e.data or []) for e in delta.edits) < len(fresh.data)

    # An unknown previous id gets full tokens.
    again = await client.text_document_semantic_tokens_full_delta_async(
        types.SemanticTokensDeltaParams(text_document=doc(uri), previous_result_id="nope")
    )
    assert isinstance(again, types.SemanticTokens) and list(again.data) == list(fresh.data)


async def inlay_hints(client, uri):
    return await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc(uri), range=types.Range(start=pos(0, 0), end=pos(40, 0)))
    )


async def test_parameter_name_hints(client: LanguageClient, tmp_path):
    uri = (tmp_path / "params.ruff").as_uri()
    open_doc(client, uri, "func area(w, h) {\n  return w * h\n}\nlet h := 2\nprint(area(3, h), len([1]))\n")
    await diagnostics_for(client, uri)
    hints = await inlay_hints(client, uri)
    got = [(h.position.line, h.position.character, h.label) for h in hints if h.kind == types.InlayHintKind.Parameter]
    # `h` is already named like the parameter; builtins get no hints.
    assert got == [(4, 11, "w:")], got


async def test_server_settings_are_honoured(client: LanguageClient, tmp_path):
    """jitHints, parameterHints, ruffPath and insightTimeoutSeconds, changed
    through workspace/didChangeConfiguration (the shape editors/vscode sends),
    and the ruffPath / timeoutSeconds arguments of the run command."""
    path = tmp_path / "settings.ruff"
    path.write_text(PROGRAM)
    uri = path.as_uri()
    open_doc(client, uri, PROGRAM)
    await diagnostics_for(client, uri)

    def kinds(hints):
        return sorted({"param" if h.kind == types.InlayHintKind.Parameter else "jit" for h in hints})

    assert kinds(await inlay_hints(client, uri)) == ["jit", "param"]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"jitHints": False, "parameterHints": True})
    )
    await asyncio.sleep(0.2)
    assert kinds(await inlay_hints(client, uri)) == ["param"]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"ruffLang": {"jitHints": {"enabled": True}, "parameterHints": False}})
    )
    await asyncio.sleep(0.2)
    assert kinds(await inlay_hints(client, uri)) == ["jit"]

    # ruffPath: the configured interpreter is the one that runs.
    def fake_ruff(name, marker):
        exe = tmp_path / name
        exe.write_text(f'#!/bin/sh\necho "$@" > "{marker}"\n')
        exe.chmod(0o755)
        return str(exe)

    from_setting = tmp_path / "from_setting.txt"
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"ruffPath": fake_ruff("ruff-a", from_setting)})
    )
    await asyncio.sleep(0.2)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ruffLang.runWithJitInsight", arguments=[{"uri": uri}])
    )
    assert result["exitCode"] == 0, result
    assert from_setting.read_text().startswith("run --telemetry"), from_setting.read_text()

    # The command's own ruffPath argument (what editors/vscode sends) wins.
    from_arg = tmp_path / "from_arg.txt"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="ruffLang.runWithJitInsight",
            arguments=[{"uri": uri, "ruffPath": fake_ruff("ruff-b", from_arg)}],
        )
    )
    assert from_arg.exists()

    # insightTimeoutSeconds: a program that never ends is stopped after it.
    loop = tmp_path / "loop.ruff"
    loop.write_text("mut i := 0\nwhile true {\n  i = i + 1\n}\n")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"ruffPath": RUFF_BIN, "insightTimeoutSeconds": 1})
    )
    await asyncio.sleep(0.2)
    started = asyncio.get_running_loop().time()
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ruffLang.runWithJitInsight", arguments=[{"uri": loop.as_uri()}])
    )
    assert result["timedOut"] is True, result
    assert asyncio.get_running_loop().time() - started < 8


async def test_long_analysis_shows_work_done_progress(client: LanguageClient, tmp_path):
    """A file whose analysis takes longer than 300 ms (here 80,000
    functions, 400,000 lines) gets a server-created progress token, a
    begin "Analysing big.ruff" and an end, and then its diagnostics."""
    funcs = "".join(f"func f{i}(a, b) {{\n    mut t := a\n    t = t + b * {i}\n    return t\n}}\n" for i in range(80_000))
    uri = (tmp_path / "big.ruff").as_uri()
    open_doc(client, uri, funcs + "print(f7(1, 2))\n")
    assert list(await diagnostics_for(client, uri, timeout=60)) == []
    reports = [r for rs in client.progress_reports.values() for r in rs]
    begins = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
    assert any(b.title == "Analysing" and b.message == "big.ruff" for b in begins), reports
    token = next(t for t, rs in client.progress_reports.items() if any(getattr(r, "message", None) == "big.ruff" for r in rs))
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd), client.progress_reports[token]
