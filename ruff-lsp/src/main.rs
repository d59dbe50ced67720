//! `ruff-lsp`: the Ruff language server, speaking LSP over stdin/stdout.

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ruff-lsp: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(ruff_lsp::server::run_stdio());
    // Exit at once: tokio's stdin reader is a blocking thread that would
    // keep the process alive while the client holds stdin open after
    // `exit` (the runtime's drop waits for blocking tasks).
    std::process::exit(code);
}
