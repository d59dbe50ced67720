"""Drive the built ruff-lsp over stdio with VS Code's client capabilities.

Environment:
  RUFF_LSP_BIN  path to the ruff-lsp binary (required)
  RUFF_BIN      path to the ruff binary for the run command (default: the
                `ruff` next to RUFF_LSP_BIN)
"""

import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

LSP_BIN = os.environ.get("RUFF_LSP_BIN", "")
if not LSP_BIN or not os.access(LSP_BIN, os.X_OK):
    raise pytest.UsageError(f"RUFF_LSP_BIN must point to a built ruff-lsp binary (got {LSP_BIN!r})")

RUFF_BIN = os.environ.get("RUFF_BIN") or str(pathlib.Path(LSP_BIN).with_name("ruff"))


class Refreshes:
    """Counts the refresh requests the server sends."""

    def __init__(self):
        self.code_lens = 0
        self.inlay_hint = 0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[LSP_BIN]))
async def client(lsp_client: LanguageClient):
    refreshes = Refreshes()
    lsp_client.refreshes = refreshes

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _code_lens_refresh(params):
        refreshes.code_lens += 1

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def _inlay_hint_refresh(params):
        refreshes.inlay_hint += 1

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"jitHints": True, "ruffPath": RUFF_BIN, "insightTimeoutSeconds": 10},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()
