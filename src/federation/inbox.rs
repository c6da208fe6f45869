//! Inboxes (`POST /inbox`, `POST /users/:name/inbox`): cap the body, verify the HTTP
//! signature with the signer's key (refetched once if it fails: keys rotate), require that
//! the key's owner is the activity's `actor`, then commit the activity to the durable
//! inbound queue and answer 202. Applying it is the inbound worker's job.
//!
//! Architecture Invariant: 202 means the activity is on disk (Durability::Immediate).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::app::ingest::{self, CachedKey, EnqueueError};
use crate::app::{App, remote};
use crate::model::InboundActivity;
use crate::sig::httpsig::{self, RequestParts, VerifyPolicy};
use crate::sig::{PublicKey, SigError};
use crate::util::time::now_ms;

use super::FederationError;
use super::fetch::{self, host_of};

/// Shortest time between two refetches of a signer's key after a failed check.
pub const KEY_REFETCH_INTERVAL_MS: u64 = 60_000;

/// Largest inbox body (Mastodon: 1 MiB); larger is 413, chunked or not.
pub const INBOX_BODY_BYTES_MAX: usize = 1024 * 1024;

fn answer(http_status: StatusCode, message: &str) -> Response {
    (
        http_status,
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

fn is_accepted_content_type(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    crate::net::is_activity_json(content_type) || crate::net::is_json(content_type)
}

/// The public key of a key id and the id of the actor that owns it. Known actors are used as
/// stored; `refresh` refetches the owner (after a failed check, once).
async fn signer_key(
    app: &App,
    key_id: &str,
    refresh: bool,
) -> Result<(PublicKey, String), FederationError> {
    if !refresh {
        if let Some(cached) = app.ingest.cached_key(key_id) {
            return Ok((cached.key, cached.actor_uri));
        }
        // A key whose lookup failed a moment ago fails again without a fetch.
        if app.ingest.key_failed_recently(key_id, now_ms()) {
            return Err(FederationError::refused(
                "the signer's key could not be found",
            ));
        }
    }
    match lookup_key(app, key_id, refresh).await {
        Ok((key, actor, fetched_ms)) => {
            app.ingest.cache_key(
                key_id,
                CachedKey {
                    key: key.clone(),
                    actor_uri: actor.clone(),
                    fetched_ms,
                },
            );
            Ok((key, actor))
        }
        Err(error) => {
            if !matches!(error, FederationError::App(_)) {
                app.ingest.record_key_failure(key_id, now_ms());
            }
            Err(error)
        }
    }
}

/// `signer_key` without the caches: the stored actor, or a fetch.
async fn lookup_key(
    app: &App,
    key_id: &str,
    refresh: bool,
) -> Result<(PublicKey, String, u64), FederationError> {
    // Mastodon's key ids are `actor#main-key`; others fetch to the actor or to a key with an owner.
    let actor_uri = key_id.split('#').next().unwrap_or(key_id).to_string();
    // An actor known without its key (one that had not signed to us before: only signers'
    // keys are stored) is fetched as an unknown one is.
    let known = remote::actor_by_uri(app, &actor_uri)?;
    let mut account = match &known {
        Some((account, actor)) if !refresh && !actor.public_key_der.is_empty() => Some(account.id),
        _ => None,
    };
    if account.is_none() {
        account = Some(match fetch::fetch_signer(app, &actor_uri).await {
            Ok(id) => id,
            // Its own origin says a known actor is gone for good (Mastodon answers 410 for a
            // deleted account): that is the `Delete` whose signature cannot be checked any more
            // for an actor whose key was never stored.
            Err(FederationError::Status {
                http_status: 410, ..
            }) if known.is_some() => {
                let (account, _) = known.expect("matched");
                app.run(move |app| remote::delete_actor(app, account.id))
                    .await?;
                return Err(FederationError::refused("the signer's actor is gone"));
            }
            Err(_) if actor_uri != key_id => {
                let (value, _) = fetch::get_json(app, key_id, true).await?;
                let owner = value["owner"]
                    .as_str()
                    .ok_or_else(|| FederationError::refused("key without owner"))?
                    .to_string();
                fetch::fetch_signer(app, &owner).await?
            }
            Err(error) => return Err(error),
        });
    }
    let id = account.expect("set above");
    let actor = remote::actor(app, id)?
        .ok_or_else(|| FederationError::refused("signer is not a remote actor"))?;
    if actor.key_id != key_id {
        return Err(FederationError::refused("the key is not the actor's"));
    }
    Ok((
        PublicKey::from_der(&actor.public_key_der)?,
        actor.uri,
        actor.fetched_ms,
    ))
}

/// Verifies the request; returns the signer's actor id.
async fn verify(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, FederationError> {
    verify_signed(app, &axum::http::Method::POST, uri, headers, Some(body)).await
}

/// Verifies a signed request (an inbox POST, or a GET under authorized fetch); returns the
/// id of the signer's actor.
pub(super) async fn verify_signed(
    app: &App,
    method: &axum::http::Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Result<String, FederationError> {
    let parsed = httpsig::parse(headers)?;
    let key_id = parsed.key_id().to_string();
    let host = host_of(&key_id).ok_or_else(|| FederationError::refused("key id without host"))?;
    fetch::check_domain(app, &host)?;
    let path_and_query = uri
        .path_and_query()
        .map(|value| value.as_str())
        .unwrap_or("/")
        .to_string();
    let parts = RequestParts {
        method,
        scheme: app.config.scheme(),
        authority: &app.config.server.host,
        path_and_query: &path_and_query,
        headers,
        body,
    };
    // What needs no key first: a stale or tampered request costs no fetch.
    httpsig::precheck(&parsed, &parts, now_ms() / 1000, &VerifyPolicy::default())?;
    let (key, actor) = signer_key(app, &key_id, false).await?;
    match check_on_pool(app, &parsed, method, &path_and_query, headers, key).await {
        Ok(()) => Ok(actor),
        Err(SigError::SignatureInvalid) => {
            // The actor may have a new key: fetch it once more and check again, but not more
            // than once a minute per actor, so that bad signatures cannot make us fetch at
            // will (Fedify's CVE-2026-34148 asked for a negative cache for the same reason).
            let recently_fetched = remote::actor_by_uri(app, &actor)?.is_some_and(|(_, stored)| {
                now_ms().saturating_sub(stored.fetched_ms) < KEY_REFETCH_INTERVAL_MS
            });
            if recently_fetched {
                return Err(SigError::SignatureInvalid.into());
            }
            app.ingest.forget_key(&key_id);
            let (key, actor) = signer_key(app, &key_id, true).await?;
            check_on_pool(app, &parsed, method, &path_and_query, headers, key).await?;
            Ok(actor)
        }
        Err(error) => Err(error.into()),
    }
}

/// The signature itself (the prechecks ran already), on the blocking pool with at most
/// `federation.verify_threads_max` at once: an RSA check is CPU work that must not stall the
/// async workers, and a flood of requests must not queue unbounded work there either.
async fn check_on_pool(
    app: &App,
    parsed: &httpsig::ParsedSignature,
    method: &axum::http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
    key: PublicKey,
) -> Result<(), SigError> {
    let _permit = app
        .ingest
        .verify_permits
        .acquire()
        .await
        .map_err(|_| SigError::SignatureInvalid)?;
    let (parsed, method, path, headers, app) = (
        parsed.clone(),
        method.clone(),
        path_and_query.to_string(),
        headers.clone(),
        app.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let parts = RequestParts {
            method: &method,
            scheme: app.config.scheme(),
            authority: &app.config.server.host,
            path_and_query: &path,
            headers: &headers,
            body: None,
        };
        httpsig::verify_signature(&parsed, &parts, &key, &VerifyPolicy::default())
    })
    .await
    .unwrap_or(Err(SigError::SignatureInvalid))
}

pub async fn shared_inbox(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(app, uri, headers, body).await
}

pub async fn personal_inbox(
    State(app): State<App>,
    axum::extract::Path(_username): axum::extract::Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(app, uri, headers, body).await
}

async fn receive(app: App, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // A full queue refuses before any work (parse, key lookup, verification) is spent.
    let queued = app.ingest.queued.load(std::sync::atomic::Ordering::Relaxed);
    if queued >= app.config.federation.inbound_queue_max {
        return busy();
    }
    if body.len() > INBOX_BODY_BYTES_MAX {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    }
    if !is_accepted_content_type(&headers) {
        return answer(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/activity+json",
        );
    }
    let activity: Value = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) => return answer(StatusCode::BAD_REQUEST, "an activity is a JSON object"),
        Err(error) => return answer(StatusCode::BAD_REQUEST, &format!("malformed JSON: {error}")),
    };
    let signer = match verify(&app, &uri, &headers, &body).await {
        Ok(signer) => signer,
        Err(error) => {
            tracing::info!(%error, "inbox refused a request");
            return answer(error.http_status(), &error.to_string());
        }
    };
    // The key's owner must be who the activity says acts (Fedify's CVE-2025-54888).
    let actor = activity.get("actor").and_then(|actor| {
        actor
            .as_str()
            .or_else(|| actor.get("id").and_then(Value::as_str))
    });
    // A relay forwards others' activities with its own signature (FEDERATION.md, *Relays*);
    // the worker refetches what they name from its origin.
    let from_relay = || {
        app.store
            .read(|tx| crate::app::relays::accepted_relay_of(&app, tx, &signer))
            .is_ok_and(|relay| relay.is_some())
    };
    if actor != Some(signer.as_str()) && !from_relay() {
        return answer(
            StatusCode::UNAUTHORIZED,
            "the signer is not the activity's actor",
        );
    }
    let item = InboundActivity {
        signer,
        body: body.to_vec(),
        received_ms: now_ms(),
    };
    match ingest::enqueue(&app, item).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(EnqueueError::Full) => busy(),
        Err(EnqueueError::Unavailable(error)) => {
            tracing::warn!(%error, "inbound queue unavailable");
            crate::federation::FederationError::from(error)
                .http_status()
                .into_response()
        }
    }
}

/// 503 with `Retry-After`: the queue is full, peers retry later (backpressure).
fn busy() -> Response {
    let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, "inbound queue full");
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from(ingest::RETRY_AFTER_SECS),
    );
    response
}
