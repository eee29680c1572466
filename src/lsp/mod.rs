//! The language server: a thin shell over the core. It owns the protocol (tower-lsp), the open
//! buffers and the conversions between LSP positions and byte offsets; every answer comes from
//! a function in [`crate::ide`].

mod capabilities;
pub mod config;
pub mod config_file;
mod convert;
pub mod documents;
mod handlers;
mod indexing;
mod line_indexes;
mod publish;
mod server;
mod session;
mod uri_set;

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_lsp::jsonrpc::{self, Request, Response};
use tower_lsp::lsp_types::notification::{self as n, Notification};
use tower_lsp::{ExitedError, LspService, Server};

pub use server::Backend;
use server::test_hooks;

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

/// The outermost layer around the server: ends the process as soon as `exit` arrives, with the
/// status the specification asks for (tower-lsp would otherwise wait for the input to close);
/// logs notifications it drops (unknown methods, params that do not parse), which tower-lsp
/// drops silently; and turns a panic in any handler, request or notification, into an error
/// reply or a log line, since tower-lsp 0.20 lets a panic end the whole server. It is the one
/// place that catches a handler's panic: `Backend::guarded` does not catch again.
struct ExitOnExit<S> {
    inner: S,
    shutdown: Arc<AtomicBool>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> tower::Service<Request> for ExitOnExit<S>
where
    S: tower::Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Unpin + Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<std::result::Result<Option<Response>, ExitedError>>;

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
        let method = request.method().to_owned();
        let id = request.id().cloned();
        if id.is_none()
            && let Some(problem) = notification_problem(&method, request.params())
        {
            tracing::warn!("ignored a `{method}` notification: {problem}");
        }
        let inner: BoxFuture<_> = if method == "wikilink/debugPanicNotification" && test_hooks() {
            Box::pin(async { panic!("deliberate panic in a notification, for testing") })
        } else {
            Box::pin(self.inner.call(request))
        };
        Box::pin(async move {
            match (CatchUnwind { inner }).await {
                Ok(response) => response,
                Err(payload) => {
                    let message = panic_message(payload.as_ref());
                    tracing::error!("{method} panicked: {message}; the server keeps running");
                    Ok(id.map(|id| {
                        Response::from_error(
                            id,
                            jsonrpc::Error {
                                code: jsonrpc::ErrorCode::InternalError,
                                message: format!(
                                    "wikilink-lsp: internal error in {method} ({message}); the server keeps running"
                                )
                                .into(),
                                data: None,
                            },
                        )
                    }))
                }
            }
        })
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Why tower-lsp would drop a notification without a word: a method no handler knows (other
/// than the standard ones and `$/` ones, which tower-lsp answers itself), or params that do
/// not parse as the method's.
fn notification_problem(method: &str, params: Option<&Value>) -> Option<String> {
    fn parses<N: Notification>(params: Option<&Value>) -> Option<String>
    where
        N::Params: DeserializeOwned,
    {
        let params = params.unwrap_or(&Value::Null);
        N::Params::deserialize(params)
            .err()
            .map(|error| format!("invalid params ({error})"))
    }
    use serde::Deserialize as _;
    match method {
        n::DidOpenTextDocument::METHOD => parses::<n::DidOpenTextDocument>(params),
        n::DidChangeTextDocument::METHOD => parses::<n::DidChangeTextDocument>(params),
        n::DidCloseTextDocument::METHOD => parses::<n::DidCloseTextDocument>(params),
        n::DidSaveTextDocument::METHOD => parses::<n::DidSaveTextDocument>(params),
        n::DidChangeWatchedFiles::METHOD => parses::<n::DidChangeWatchedFiles>(params),
        n::DidChangeConfiguration::METHOD => parses::<n::DidChangeConfiguration>(params),
        n::DidChangeWorkspaceFolders::METHOD => parses::<n::DidChangeWorkspaceFolders>(params),
        "wikilink/debugPanicNotification" => None,
        _ if method.starts_with("$/")
            || [
                "textDocument/",
                "workspace/",
                "window/",
                "notebookDocument/",
            ]
            .iter()
            .any(|prefix| method.starts_with(prefix))
            || method == "initialized" =>
        {
            None
        }
        _ => Some("no such method".to_owned()),
    }
}

/// Polls a future, catching a panic in any poll.
struct CatchUnwind<F> {
    inner: F,
}

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}
