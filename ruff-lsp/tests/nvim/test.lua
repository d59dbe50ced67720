-- Headless Neovim against ruff-lsp: start the server with vim.lsp.start,
-- open a file with an error and a loop, wait for diagnostics, inlay hints
-- and a hover, and print `N passed, N failed`. Exits non-zero on failure.
--
-- Env: RUFF_LSP_BIN (server binary), RUFF_TEST_FILE (a copy of sample.ruff).

local bin = os.getenv("RUFF_LSP_BIN")
local file = os.getenv("RUFF_TEST_FILE")
local passed, failed = 0, 0

local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    print("ok   " .. name)
  else
    failed = failed + 1
    print("FAIL " .. name .. (detail and (": " .. vim.inspect(detail)) or ""))
  end
end

local function finish()
  for _, c in ipairs(vim.lsp.get_clients()) do
    c:stop(true)
  end
  print(string.format("%d passed, %d failed", passed, failed))
  io.stdout:flush()
  if failed == 0 then
    vim.cmd("qa!")
  else
    vim.cmd("cq!")
  end
end

local ok_run, err = pcall(function()
  vim.cmd.edit(file)
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = "ruff"

  local client_id = vim.lsp.start({
    name = "ruff-lsp",
    cmd = { bin },
    root_dir = vim.fs.dirname(file),
    init_options = { jitHints = true },
  }, { bufnr = buf })
  check("client started", client_id ~= nil)

  local got = vim.wait(10000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  check("diagnostics arrive", got)
  local diags = vim.diagnostic.get(buf)
  local undefined
  for _, d in ipairs(diags) do
    if d.code == "W0001" then
      undefined = d
    end
  end
  check("undefined name reported at its position",
    undefined ~= nil and undefined.lnum == 8 and undefined.col == 18
      and undefined.severity == vim.diagnostic.severity.WARN, diags)

  vim.lsp.inlay_hint.enable(true, { bufnr = buf })
  local hints = {}
  got = vim.wait(10000, function()
    hints = vim.lsp.inlay_hint.get({ bufnr = buf })
    return #hints > 0
  end, 50)
  check("inlay hints arrive", got)
  local loop_hint
  for _, h in ipairs(hints) do
    if h.inlay_hint.position.line == 3 then
      loop_hint = h.inlay_hint
    end
  end
  local label = loop_hint and loop_hint.label
  if type(label) == "table" then
    label = label[1] and label[1].value
  end
  check("loop header hint says JIT-eligible", label == "⚡ JIT-eligible", hints)

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = 8, character = 8 },
  }
  local res = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 5000) or {}
  local value
  for _, r in pairs(res) do
    if r.result and r.result.contents then
      value = r.result.contents.value
    end
  end
  check("hover shows the signature and doc",
    value ~= nil and value:find("func sum_to(n)", 1, true) ~= nil
      and value:find("Sums 0..n.", 1, true) ~= nil, value)
end)

if not ok_run then
  check("test script ran without errors", false, err)
end
finish()
