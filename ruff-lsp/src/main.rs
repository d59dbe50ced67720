//! `ruff-lsp`: the Ruff language server, speaking LSP over stdin/stdout.

/// Every analysis allocates and frees a whole syntax tree on several
/// threads; mimalloc does that faster than glibc's malloc.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // Exit at once: the stdin reader thread may still be blocked on a
    // client that keeps stdin open after `exit`.
    std::process::exit(code);
}
