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

use crate::app::{App, remote};
use crate::model::InboundActivity;
use crate::sig::httpsig::{self, RequestParts, VerifyPolicy};
use crate::sig::{PublicKey, SigError};
use crate::store::queues;
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
    // Mastodon's key ids are `actor#main-key`; others fetch to the actor or to a key with an owner.
    let actor_uri = key_id.split('#').next().unwrap_or(key_id).to_string();
    let mut account = match remote::actor_by_uri(app, &actor_uri)? {
        Some((account, _)) if !refresh => Some(account.id),
        _ => None,
    };
    if account.is_none() {
        account = Some(match fetch::fetch_actor(app, &actor_uri).await {
            Ok(id) => id,
            Err(_) if actor_uri != key_id => {
                let (value, _) = fetch::get_json(app, key_id, true).await?;
                let owner = value["owner"]
                    .as_str()
                    .ok_or_else(|| FederationError::refused("key without owner"))?
                    .to_string();
                fetch::fetch_actor(app, &owner).await?
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
    Ok((PublicKey::from_pem(&actor.public_key_pem)?, actor.uri))
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
    let check = |key: &PublicKey| {
        httpsig::verify_request(
            &parsed,
            &parts,
            key,
            now_ms() / 1000,
            &VerifyPolicy::default(),
        )
    };
    let (key, actor) = signer_key(app, &key_id, false).await?;
    match check(&key) {
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
            let (key, actor) = signer_key(app, &key_id, true).await?;
            check(&key)?;
            Ok(actor)
        }
        Err(error) => Err(error.into()),
    }
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
    if actor != Some(signer.as_str()) {
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
    let stored = app
        .run(move |app| {
            app.store
                .write(|tx| queues::push_inbound(tx, app.next_id(), &item))?;
            Ok(())
        })
        .await;
    match stored {
        Ok(()) => {
            app.inbound_ready.notify_one();
            StatusCode::ACCEPTED.into_response()
        }
        Err(error) => crate::federation::FederationError::from(error)
            .http_status()
            .into_response(),
    }
}
