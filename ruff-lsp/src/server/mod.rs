//! Wiring: the `LanguageServer` implementation. Each handler finds the
//! document's analysis, converts the position, and calls the feature module;
//! the features themselves live in one file each. Every handler body runs
//! under `panic_guard`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use tower_lsp_server::jsonrpc::{self, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::analysis::{self, Analysis};
use crate::config::Settings;
use crate::documents::{DocumentStore, Snapshot};
use crate::insight_view::{self, Measured};
use crate::panic_guard::{guard, guard_notification};
use crate::run_insight::COMMAND;
use crate::{
    call_hierarchy, code_actions, completion, diagnostics, folding, goto, highlight, hover,
    parameter_hints, positions, rename, selection, semantic_tokens, semantic_tokens_delta,
    signature, symbols, transport, workspace_symbols,
};

mod capabilities;
mod progress;
mod run_command;

use capabilities::{client_caps, server_capabilities, ClientCaps};

/// Edits closer together than this are analysed once, for the last one.
const DIAGNOSTICS_DEBOUNCE: Duration = Duration::from_millis(30);

/// After stdin ends, how long handlers still running may take to answer.
const EOF_GRACE: Duration = Duration::from_millis(500);

/// The env var that enables the hidden `ruff/debugPanic` request (tests).
pub const TEST_PANIC_ENV: &str = "RUFF_LSP_TEST_PANIC";

struct State {
    client: Client,
    docs: DocumentStore,
    settings: RwLock<Settings>,
    caps: RwLock<ClientCaps>,
    /// Last measured run per document, with the generation it ran against.
    measured: DashMap<Uri, (u64, Arc<Measured>)>,
    /// The last full semantic tokens per document (for deltas).
    tokens: semantic_tokens_delta::TokenCache,
    /// Serialises "is this still the current version? then publish" so an
    /// older analysis can never publish after a newer one.
    publish_lock: tokio::sync::Mutex<()>,
    shutdown_requested: Arc<AtomicBool>,
}

pub struct Backend {
    state: Arc<State>,
}

/// Serve LSP on stdin/stdout until `exit` (or end of input). Returns the
/// process exit code: 0 after a clean shutdown, 1 otherwise (LSP spec).
pub async fn run_stdio() -> i32 {
    let shutdown = Arc::new(AtomicBool::new(false));
    let flag = shutdown.clone();
    let mut builder = LspService::build(move |client| Backend::new(client, flag.clone()));
    if std::env::var(TEST_PANIC_ENV).is_ok_and(|v| v == "1") {
        builder = builder.custom_method("ruff/debugPanic", Backend::debug_panic);
    }
    let (service, socket) = builder.finish();
    let io = transport::stdio();
    let eof = io.eof.clone();
    let serve = Server::new(io.input, io.output, socket).serve(service);
    tokio::select! {
        () = serve => {}
        // End of input ends the server even while a handler still waits
        // (for a client that died during a server-to-client request): a
        // short grace lets finished work reach stdout first.
        () = async {
            eof.notified().await;
            tokio::time::sleep(EOF_GRACE).await;
        } => {}
    }
    // The server dropped its writer when `serve` returned; wait until the
    // writer thread has put the last replies on stdout.
    let _ = tokio::task::spawn_blocking(move || io.writer.join()).await;
    if shutdown.load(Ordering::SeqCst) {
        0
    } else {
        1
    }
}

fn lsp_error(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

impl Backend {
    fn new(client: Client, shutdown_requested: Arc<AtomicBool>) -> Backend {
        Backend {
            state: Arc::new(State {
                client,
                docs: DocumentStore::default(),
                settings: RwLock::new(Settings::default()),
                caps: RwLock::new(ClientCaps::default()),
                measured: DashMap::new(),
                tokens: semantic_tokens_delta::TokenCache::default(),
                publish_lock: tokio::sync::Mutex::new(()),
                shutdown_requested,
            }),
        }
    }

    /// Test-only (see `TEST_PANIC_ENV`): panics inside a guarded handler.
    async fn debug_panic(&self) -> Result<()> {
        guard("ruff/debugPanic", async { deliberate_panic() }).await
    }
}

fn deliberate_panic() -> Result<()> {
    panic!("deliberate panic requested through ruff/debugPanic")
}

impl State {
    fn settings(&self) -> Settings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn caps(&self) -> ClientCaps {
        self.caps.read().map(|c| *c).unwrap_or_default()
    }

    async fn analysis(&self, uri: &Uri) -> Result<Option<Arc<Analysis>>> {
        match self.docs.snapshot(uri) {
            Some(snap) => analysis::for_snapshot(&snap).await.map(Some),
            None => Ok(None),
        }
    }

    /// The analysis with its static JIT insight computed (inlay hints, code
    /// lenses).
    async fn insight_analysis(&self, uri: &Uri) -> Result<Option<Arc<Analysis>>> {
        Ok(match self.analysis(uri).await? {
            Some(a) => Some(analysis::with_eligibility(a).await),
            None => None,
        })
    }

    /// The analysis and the byte offset of a position (clamped).
    async fn at(&self, uri: &Uri, pos: Position) -> Result<Option<(Arc<Analysis>, u32)>> {
        Ok(self.analysis(uri).await?.map(|a| {
            let offset = positions::offset(&a.text, &a.lines, pos);
            (a, offset)
        }))
    }

    fn measured_for(&self, uri: &Uri, a_generation: Option<u64>) -> Option<Arc<Measured>> {
        let entry = self.measured.get(uri)?;
        let (generation, m) = entry.value();
        (Some(*generation) == a_generation).then(|| m.clone())
    }

    fn current_generation(&self, uri: &Uri) -> Option<u64> {
        self.docs.snapshot(uri).map(|s| s.generation)
    }

    async fn publish(&self, snap: &Snapshot, a: &Analysis) {
        let _serial = self.publish_lock.lock().await;
        if !self.docs.is_current(&snap.uri, snap.generation) {
            return; // a newer edit arrived: its own task publishes
        }
        let measured = self.measured_for(&snap.uri, Some(snap.generation));
        let mut diags = diagnostics::to_lsp(&snap.uri, a);
        if self.settings().jit_hints {
            diags.extend(insight_view::refusal_diagnostics(a, measured.as_deref()));
        }
        diags.extend(insight_view::exit_diagnostics(a, measured.as_deref()));
        self.client
            .publish_diagnostics(snap.uri.clone(), diags, Some(snap.version))
            .await;
    }

    async fn refresh_insight(&self) {
        let caps = self.caps();
        // Only clients that declared support may receive these requests.
        if caps.inlay_hint_refresh {
            let _ = self.client.inlay_hint_refresh().await;
        }
        if caps.code_lens_refresh {
            let _ = self.client.code_lens_refresh().await;
        }
    }
}

/// Analyse a snapshot off the async threads and publish its diagnostics,
/// unless a newer edit supersedes it first.
fn schedule_diagnostics(state: Arc<State>, snap: Snapshot, delay: Duration) {
    tokio::spawn(async move {
        guard_notification("publishDiagnostics", async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if !state.docs.is_current(&snap.uri, snap.generation) {
                return;
            }
            let work = async {
                let a = analysis::for_snapshot(&snap).await?;
                jsonrpc::Result::Ok(analysis::with_eligibility(a).await)
            };
            match state.with_progress_if_slow(&snap.uri, work).await {
                Ok(a) => state.publish(&snap, &a).await,
                Err(e) => eprintln!("ruff-lsp: {}", e.message),
            }
        })
        .await;
    });
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guard("initialize", async move {
            let settings =
                Settings::from_initialization_options(params.initialization_options.as_ref());
            if let Ok(mut s) = self.state.settings.write() {
                *s = settings;
            }
            if let Ok(mut c) = self.state.caps.write() {
                *c = client_caps(&params.capabilities);
            }
            Ok(InitializeResult {
                capabilities: server_capabilities(),
                server_info: Some(ServerInfo {
                    name: "ruff-lsp".into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                }),
                offset_encoding: None,
            })
        })
        .await
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shutdown_requested.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        guard_notification("textDocument/didOpen", async move {
            let d = params.text_document;
            let snap = self.state.docs.open(d.uri, d.text, d.version);
            schedule_diagnostics(self.state.clone(), snap, Duration::ZERO);
        })
        .await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // No `.await` before the edit is applied: tower-lsp-server runs
        // handlers concurrently but polls each first in arrival order, so a
        // synchronous application keeps edits in order.
        guard_notification("textDocument/didChange", async move {
            let uri = params.text_document.uri;
            let Some(snap) =
                self.state
                    .docs
                    .change(&uri, params.text_document.version, &params.content_changes)
            else {
                return;
            };
            // Measured insight describes the text that ran; it no longer
            // matches once the text changes.
            self.state.measured.remove(&uri);
            schedule_diagnostics(self.state.clone(), snap, DIAGNOSTICS_DEBOUNCE);
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guard_notification("textDocument/didClose", async move {
            let uri = params.text_document.uri;
            self.state.docs.close(&uri);
            self.state.measured.remove(&uri);
            self.state.tokens.forget(&uri);
            let _serial = self.state.publish_lock.lock().await;
            self.state
                .client
                .publish_diagnostics(uri, Vec::new(), None)
                .await;
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        guard_notification("workspace/didChangeConfiguration", async move {
            if let Ok(mut s) = self.state.settings.write() {
                s.apply_change(&params.settings);
            }
            self.state.refresh_insight().await;
        })
        .await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        guard("textDocument/hover", async move {
            let p = params.text_document_position_params;
            let uri = p.text_document.uri;
            let generation = self.state.current_generation(&uri);
            let Some((a, offset)) = self.state.at(&uri, p.position).await? else {
                return Ok(None);
            };
            let measured = self.state.measured_for(&uri, generation);
            Ok(hover::hover_with_run(&a, offset, measured.as_deref()))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        guard("textDocument/definition", async move {
            let p = params.text_document_position_params;
            let uri = p.text_document.uri;
            let Some((a, offset)) = self.state.at(&uri, p.position).await? else {
                return Ok(None);
            };
            let span = goto::target_at(&a, offset).and_then(|(_, t)| goto::definition(&a, &t));
            Ok(span.map(|s| {
                GotoDefinitionResponse::Scalar(Location {
                    uri,
                    range: positions::range(&a.text, &a.lines, s),
                })
            }))
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        guard("textDocument/documentHighlight", async move {
            let p = params.text_document_position_params;
            let Some((a, offset)) = self.state.at(&p.text_document.uri, p.position).await? else {
                return Ok(None);
            };
            Ok(highlight::highlights(&a, offset))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        guard("textDocument/references", async move {
            let p = params.text_document_position;
            let uri = p.text_document.uri;
            let Some((a, offset)) = self.state.at(&uri, p.position).await? else {
                return Ok(None);
            };
            let Some((_, target)) = goto::target_at(&a, offset) else {
                return Ok(None);
            };
            let decl = goto::definition(&a, &target);
            let locations = goto::occurrences(&a, &target)
                .into_iter()
                .filter(|s| params.context.include_declaration || Some(*s) != decl)
                .map(|s| Location {
                    uri: uri.clone(),
                    range: positions::range(&a.text, &a.lines, s),
                })
                .collect();
            Ok(Some(locations))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        guard("textDocument/prepareRename", async move {
            let Some((a, offset)) = self
                .state
                .at(&params.text_document.uri, params.position)
                .await?
            else {
                return Ok(None);
            };
            if goto::target_at(&a, offset).is_none() {
                return Ok(None);
            }
            let span = rename::prepare(&a, offset).map_err(lsp_error)?;
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: positions::range(&a.text, &a.lines, span),
                placeholder: a.slice(span).to_string(),
            }))
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        guard("textDocument/rename", async move {
            let p = params.text_document_position;
            let uri = p.text_document.uri;
            let Some((a, offset)) = self.state.at(&uri, p.position).await? else {
                return Ok(None);
            };
            let spans = rename::rename(&a, offset, &params.new_name).map_err(lsp_error)?;
            let edits = spans
                .into_iter()
                .map(|s| TextEdit {
                    range: positions::range(&a.text, &a.lines, s),
                    new_text: params.new_name.clone(),
                })
                .collect();
            let mut changes = std::collections::HashMap::new();
            changes.insert(uri, edits);
            Ok(Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }))
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        guard("textDocument/documentSymbol", async move {
            let Some(a) = self.state.analysis(&params.text_document.uri).await? else {
                return Ok(None);
            };
            Ok(Some(DocumentSymbolResponse::Nested(
                symbols::document_symbols(&a),
            )))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        guard("textDocument/codeAction", async move {
            let uri = params.text_document.uri;
            let Some(a) = self.state.analysis(&uri).await? else {
                return Ok(None);
            };
            Ok(Some(code_actions::quick_fixes(&uri, &a, params.range)))
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        guard("workspace/symbol", async move {
            let mut out = Vec::new();
            for uri in self.state.docs.uris() {
                if let Some(a) = self.state.analysis(&uri).await? {
                    out.extend(workspace_symbols::matching(&uri, &a, &params.query));
                }
            }
            Ok(Some(WorkspaceSymbolResponse::Flat(out)))
        })
        .await
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        guard("textDocument/selectionRange", async move {
            let Some(a) = self.state.analysis(&params.text_document.uri).await? else {
                return Ok(None);
            };
            Ok(Some(
                params
                    .positions
                    .iter()
                    .map(|p| selection::selection(&a, positions::offset(&a.text, &a.lines, *p)))
                    .collect(),
            ))
        })
        .await
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        guard("textDocument/prepareCallHierarchy", async move {
            let p = params.text_document_position_params;
            let uri = p.text_document.uri;
            let Some((a, offset)) = self.state.at(&uri, p.position).await? else {
                return Ok(None);
            };
            Ok(call_hierarchy::prepare(&uri, &a, offset))
        })
        .await
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        guard("callHierarchy/incomingCalls", async move {
            let uri = params.item.uri.clone();
            let Some(a) = self.state.analysis(&uri).await? else {
                return Ok(None);
            };
            Ok(Some(call_hierarchy::incoming(&uri, &a, &params.item)))
        })
        .await
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        guard("callHierarchy/outgoingCalls", async move {
            let uri = params.item.uri.clone();
            let Some(a) = self.state.analysis(&uri).await? else {
                return Ok(None);
            };
            Ok(Some(call_hierarchy::outgoing(&uri, &a, &params.item)))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        guard("textDocument/completion", async move {
            let p = params.text_document_position;
            let Some((a, offset)) = self.state.at(&p.text_document.uri, p.position).await? else {
                return Ok(None);
            };
            let items = completion::complete(&a, offset, self.state.caps().snippets);
            Ok(Some(CompletionResponse::Array(items)))
        })
        .await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        guard("textDocument/signatureHelp", async move {
            let p = params.text_document_position_params;
            let Some((a, offset)) = self.state.at(&p.text_document.uri, p.position).await? else {
                return Ok(None);
            };
            Ok(signature::signature_help(&a, offset))
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        guard("textDocument/semanticTokens/full", async move {
            let uri = params.text_document.uri;
            let Some(a) = self.state.analysis(&uri).await? else {
                return Ok(None);
            };
            let data = semantic_tokens::tokens(&a);
            let result_id = Some(self.state.tokens.store(&uri, data.clone()));
            Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id,
                data,
            })))
        })
        .await
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        guard("textDocument/semanticTokens/full/delta", async move {
            let uri = params.text_document.uri;
            let Some(a) = self.state.analysis(&uri).await? else {
                return Ok(None);
            };
            let data = semantic_tokens::tokens(&a);
            let previous = self.state.tokens.previous(&uri, &params.previous_result_id);
            let result_id = Some(self.state.tokens.store(&uri, data.clone()));
            Ok(Some(match previous {
                Some(old) => SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
                    result_id,
                    edits: semantic_tokens_delta::edits(&old, &data),
                }),
                None => SemanticTokensFullDeltaResult::Tokens(SemanticTokens { result_id, data }),
            }))
        })
        .await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        guard("textDocument/semanticTokens/range", async move {
            let Some(a) = self.state.analysis(&params.text_document.uri).await? else {
                return Ok(None);
            };
            let span = positions::span(&a.text, &a.lines, params.range);
            Ok(Some(SemanticTokensRangeResult::Tokens(SemanticTokens {
                result_id: None,
                data: semantic_tokens::tokens_in(&a, Some(span)),
            })))
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        guard("textDocument/foldingRange", async move {
            let Some(a) = self.state.analysis(&params.text_document.uri).await? else {
                return Ok(None);
            };
            Ok(Some(folding::folding_ranges(&a)))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        guard("textDocument/inlayHint", async move {
            let uri = params.text_document.uri;
            let generation = self.state.current_generation(&uri);
            let Some(a) = self.state.insight_analysis(&uri).await? else {
                return Ok(None);
            };
            let visible = positions::span(&a.text, &a.lines, params.range);
            let measured = self.state.measured_for(&uri, generation);
            let settings = self.state.settings();
            let mut hints =
                insight_view::inlay_hints(&a, measured.as_deref(), settings.jit_hints, visible);
            if settings.parameter_hints {
                hints.extend(parameter_hints::parameter_hints(&a, visible));
            }
            Ok(Some(hints))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        guard("textDocument/codeLens", async move {
            let uri = params.text_document.uri;
            let generation = self.state.current_generation(&uri);
            let Some(a) = self.state.insight_analysis(&uri).await? else {
                return Ok(None);
            };
            let measured = self.state.measured_for(&uri, generation);
            let show_static = self.state.settings().jit_hints;
            Ok(Some(insight_view::code_lenses(
                &a,
                &uri,
                measured.as_deref(),
                show_static,
            )))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        guard("workspace/executeCommand", async move {
            if params.command != COMMAND {
                return Err(lsp_error(format!("unknown command {}", params.command)));
            }
            let token = params.work_done_progress_params.work_done_token;
            self.state.run_with_insight(&params.arguments, token).await
        })
        .await
    }
}
