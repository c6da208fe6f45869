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
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::api::ApiError;
use crate::app::{App, ClientAddr};

/// The whole application as one router.
pub fn router(app: App) -> Router {
    let config = &app.config.server;
    Router::new()
        .merge(crate::api::routes())
        .merge(crate::api::media_routes(&app))
        .route("/media/{id}/{key}/{variant}", get(crate::web::media::serve))
        .merge(crate::federation::routes())
        .route("/@{username}", get(crate::web::profile::profile))
        .route("/@{username}/{id}", get(crate::web::profile::status))
        .route(
            "/oauth/authorize",
            get(crate::web::oauth::show).post(crate::web::oauth::submit),
        )
        .route(
            "/auth/sign_in",
            get(crate::web::auth::sign_in_page).post(crate::web::auth::sign_in),
        )
        .route("/auth/sign_out", post(crate::web::auth::sign_out))
        .route(
            "/auth/sign_up",
            get(crate::web::auth::sign_up_page).post(crate::web::auth::sign_up),
        )
        .route("/invite/{code}", get(crate::web::auth::invite))
        .route("/auth/confirmation", get(crate::web::password::confirm))
        .route("/privacy-policy", get(crate::web::policies::privacy_policy))
        .route("/terms", get(crate::web::policies::terms))
        .route(
            "/auth/password/new",
            get(crate::web::password::request_page).post(crate::web::password::request),
        )
        .route(
            "/auth/password/edit",
            get(crate::web::password::edit_page).post(crate::web::password::edit),
        )
        .route(
            "/settings",
            get(|| async { axum::response::Redirect::to("/settings/profile") }),
        )
        .route(
            "/settings/{section}",
            get(crate::web::settings::page).post(crate::web::settings::submit),
        )
        .route("/settings/export/{file}", get(crate::web::settings::export))
        .route(
            "/settings/sessions/{id}/revoke",
            post(crate::web::settings::revoke_session),
        )
        .route("/admin", get(crate::web::admin::dashboard))
        .route("/admin/{section}", get(crate::web::admin::page))
        .route("/admin/domain_blocks/new", post(crate::web::admin::act))
        .route("/admin/relays/new", post(crate::web::admin::act))
        .route("/admin/{section}/new", post(crate::web::admin::act))
        .route("/admin/{section}/{id}/delete", post(crate::web::admin::act))
        .route("/admin/relays/{id}/delete", post(crate::web::admin::act))
        .route(
            "/admin/domain_blocks/{id}/delete",
            post(crate::web::admin::act),
        )
        .route(
            "/admin/accounts/{id}/{operation}",
            post(crate::web::admin::act),
        )
        .route(
            "/admin/reports/{id}/{operation}",
            post(crate::web::admin::act),
        )
        .route("/health", get(health::health))
        .route("/livez", get(health::health))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/avatars/original/missing.png", get(health::missing_image))
        .route("/headers/original/missing.png", get(health::missing_image))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), rate_limit))
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
    crate::federation::install(&app);
    // The federation workers run while the server serves; `true` stops them.
    let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
    let media_worker = crate::app::media::spawn_worker(app.clone(), workers_stop.clone());
    let mut workers = crate::federation::worker::spawn(app.clone(), workers_stop.clone());
    workers.push(tokio::spawn(crate::app::scheduled::run(
        app.clone(),
        workers_stop.clone(),
    )));
    // The VAPID key is made on first start (the worker makes it before sending anything).
    workers.push(tokio::spawn(crate::api::push::run(
        app.clone(),
        workers_stop.clone(),
    )));
    workers.push(tokio::spawn(crate::app::moderation::purge_loop(
        app.clone(),
        workers_stop.clone(),
    )));
    // E-mail is optional; bad settings stop the start rather than lose messages later.
    let mailer = crate::net::mail::Mailer::new(&app.config.email, &app.config.server.host)
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    if let Some(mailer) = mailer {
        workers.push(tokio::spawn(crate::app::mail::run(
            app.clone(),
            mailer,
            workers_stop.clone(),
        )));
    }
    workers.push(crate::app::housekeeping::spawn(app.clone(), workers_stop));
    // Shared by every connection's service; read-only after start.
    let trusted_proxies: Arc<[ipnet::IpNet]> = app.config.trusted_proxies().into();
    let router = router(app);
    // Caps connections in flight; a permit is held for a connection's life, so excess
    // connections wait in the kernel's backlog instead of costing memory here.
    let connections = Arc::new(Semaphore::new(config.connections_max));
    // `true` asks every open connection to finish its response and close.
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
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
        let service =
            hyper::service::service_fn(with_client(router.clone(), peer, trusted_proxies.clone()));
        // Upgrades: the WebSocket of the streaming API.
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        // hyper-util's `GracefulShutdown` does not take upgradeable connections, so each
        // connection watches the shutdown itself and the permits count what is still open.
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = closing.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_workers.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    // An eviction pass in flight ends at its next step; past a few seconds it is dropped,
    // which its protocol allows (copies first, record next, deletes last).
    let media_abort = media_worker.abort_handle();
    if tokio::time::timeout(Duration::from_secs(5), media_worker)
        .await
        .is_err()
    {
        media_abort.abort();
    }
    let _ = closing_tx.send(true);
    let all_closed = connections.acquire_many(config.connections_max as u32);
    tokio::select! {
        _ = all_closed => {}
        () = tokio::time::sleep(Duration::from_millis(config.shutdown_grace_ms)) => {
            tracing::warn!("connections still open after the shutdown grace period");
        }
    }
    Ok(())
}

/// A hyper service that tags each request with where it comes from.
fn with_client(
    router: Router,
    peer: SocketAddr,
    trusted_proxies: Arc<[ipnet::IpNet]>,
) -> impl Fn(hyper::Request<hyper::body::Incoming>) -> tower::util::Oneshot<Router, Request> + Clone
{
    move |mut request: hyper::Request<hyper::body::Incoming>| {
        let ip = client_ip(peer.ip(), request.headers(), &trusted_proxies);
        request.extensions_mut().insert(ClientAddr { peer, ip });
        trim_trailing_slash(&mut request);
        router.clone().oneshot(request.map(axum::body::Body::new))
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy (the right-most one a
/// trusted hop added; anything left of it the client could have forged).
fn client_ip(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|network| network.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// Counts API and OAuth requests per client address; over the limit, 429 as Mastodon sends it.
async fn rate_limit(State(app): State<App>, request: Request, next: Next) -> Response {
    // An IP block of `no_access` shuts its range out of everything.
    if let Some(client) = request.extensions().get::<ClientAddr>() {
        let now_ms = crate::util::time::now_ms();
        if app.access.severity(client.ip, now_ms) == Some(crate::model::IpSeverity::NoAccess) {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
    }
    let path = request.uri().path();
    let limited = path.starts_with("/api/") || path.starts_with("/oauth/");
    if let (true, Some(client)) = (limited, request.extensions().get::<ClientAddr>()) {
        let now_ms = crate::util::time::now_ms();
        if let Err(retry_after_secs) = app.api_limiter.check(client.ip, now_ms) {
            let mut response = ApiError {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
            }
            .into_response();
            let headers = response.headers_mut();
            headers.insert(
                "x-ratelimit-limit",
                HeaderValue::from(app.api_limiter.per_window()),
            );
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            let reset = crate::util::time::iso8601_ms(now_ms + retry_after_secs * 1000);
            if let Ok(reset) = HeaderValue::from_str(&reset) {
                headers.insert("x-ratelimit-reset", reset);
            }
            return response;
        }
    }
    next.run(request).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9, 10.1.2.3"),
        );
        let ip = |peer: &str, headers: &axum::http::HeaderMap| {
            client_ip(peer.parse().unwrap(), headers, &trusted)
        };
        assert_eq!(
            ip("127.0.0.1", &headers),
            "203.0.113.9".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(
            ip("198.51.100.7", &headers),
            "198.51.100.7".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(
            ip("127.0.0.1", &axum::http::HeaderMap::new()),
            "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
        );
    }
}
