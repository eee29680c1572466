//! The language server: a thin shell over the core. It owns the protocol (tower-lsp), the open
//! buffers and the conversions between LSP positions and byte offsets; every answer comes from
//! a function in [`crate::ide`].

mod capabilities;
pub mod config;
mod convert;
pub mod documents;
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tower_lsp::jsonrpc::{Request, Response};
use tower_lsp::{ExitedError, LspService, Server};

pub use server::Backend;

/// Logs go to stderr (stdout is the protocol); the level comes from `WIKILINK_LOG`
/// (e.g. `debug`, `wikilink_lsp=trace`), default `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WIKILINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Serves LSP on stdin/stdout until `exit`; returns the process exit status (0 when `exit`
/// followed `shutdown`, 1 otherwise, as the specification asks).
pub fn serve_stdio() -> std::io::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let shutdown = Arc::new(AtomicBool::new(false));
    let status = runtime.block_on(async {
        let (service, socket) = LspService::build(|client| Backend::new(client, shutdown.clone()))
            .custom_method("wikilink/debugPanic", Backend::debug_panic)
            .finish();
        let service = ExitOnExit {
            inner: service,
            shutdown: shutdown.clone(),
        };
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .concurrency_level(16)
            .serve(service)
            .await;
        // The input ended without `exit`.
        if shutdown.load(Ordering::SeqCst) {
            0
        } else {
            1
        }
    });
    runtime.shutdown_background();
    Ok(status)
}

/// Ends the process as soon as `exit` arrives, with the status the specification asks for.
/// (tower-lsp would otherwise wait for the input to close.)
struct ExitOnExit<S> {
    inner: S,
    shutdown: Arc<AtomicBool>,
}

impl<S> tower::Service<Request> for ExitOnExit<S>
where
    S: tower::Service<Request, Response = Option<Response>, Error = ExitedError>,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // `shutdown` and `exit` take no params; some clients send `"params": null`, which
        // tower-lsp would reject. Accept it.
        let request = match (request.method(), request.params()) {
            ("shutdown" | "exit", Some(serde_json::Value::Null)) => {
                let (method, id, _) = request.into_parts();
                let builder = Request::build(method);
                match id {
                    Some(id) => builder.id(id).finish(),
                    None => builder.finish(),
                }
            }
            _ => request,
        };
        if request.method() == "exit" {
            let status = if self.shutdown.load(Ordering::SeqCst) {
                0
            } else {
                1
            };
            tracing::info!("exit received; ending with status {status}");
            std::process::exit(status);
        }
        self.inner.call(request)
    }
}
