//! The HTTP server around the API and pages: the accept loop, timeouts, limits, health,
//! metrics and graceful shutdown. May import `api`, `web`, `app` and below.
//!
//! Why not `axum::serve`: it cannot set hyper's header-read timeout (slowloris guard) or cap
//! connections, so the loop below does both with hyper directly.

mod health;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::api::ApiError;
use crate::app::{App, PeerAddr};

/// The whole application as one router.
pub fn router(app: App) -> Router {
    let config = &app.config.server;
    Router::new()
        .merge(crate::api::routes())
        .route(
            "/oauth/authorize",
            get(crate::web::oauth::show).post(crate::web::oauth::submit),
        )
        .route("/health", get(health::health))
        .route("/livez", get(health::health))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/avatars/original/missing.png", get(health::missing_image))
        .route("/headers/original/missing.png", get(health::missing_image))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            count_and_harden,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(config.request_timeout_ms),
        ))
        .layer(DefaultBodyLimit::max(config.request_body_bytes_max))
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Counts responses for `/metrics` and adds `nosniff` to every response.
async fn count_and_harden(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    app.metrics.count_response(response.status().as_u16());
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if response.status() == StatusCode::REQUEST_TIMEOUT
        && response.headers().get(header::CONTENT_TYPE).is_none()
    {
        return ApiError::new(StatusCode::REQUEST_TIMEOUT, "The request took too long")
            .into_response();
    }
    response
}

/// Binds the configured address, then serves until `shutdown`.
pub async fn run(
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(app.config.listen_addr()).await?;
    serve(app, listener, shutdown).await
}

/// Serves HTTP on `listener` until `shutdown` completes, then drains open connections for
/// up to `server.shutdown_grace_ms`.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = app.config.server.clone();
    let router = router(app);
    // Caps connections in flight; a permit is held for a connection's life, so excess
    // connections wait in the kernel's backlog instead of costing memory here.
    let connections = Arc::new(Semaphore::new(config.connections_max));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(config.header_read_timeout_ms))
        .keep_alive(true)
        .max_buf_size(64 * 1024);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = hyper::service::service_fn(with_peer(router.clone(), peer));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_millis(config.shutdown_grace_ms)) => {
            tracing::warn!("connections still open after the shutdown grace period");
        }
    }
    Ok(())
}

/// A hyper service that tags each request with the connection's peer address.
fn with_peer(
    router: Router,
    peer: SocketAddr,
) -> impl Fn(hyper::Request<hyper::body::Incoming>) -> tower::util::Oneshot<Router, Request> + Clone
{
    move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(PeerAddr(peer));
        trim_trailing_slash(&mut request);
        router.clone().oneshot(request.map(axum::body::Body::new))
    }
}

/// `/api/v1/instance/` routes as `/api/v1/instance`: Rails, and so Mastodon, accepts both,
/// and clients (Mastodon.py among them) send the slash. Done before routing, which a
/// router layer cannot do.
fn trim_trailing_slash<B>(request: &mut hyper::Request<B>) {
    let path = request.uri().path();
    if path.len() <= 1 || !path.ends_with('/') {
        return;
    }
    let trimmed = path.trim_end_matches('/');
    let rebuilt = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_string(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = rebuilt.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}
