//! Fetching remote documents: signed GETs through the guarded client, the checks every
//! fetched document must pass (ActivityStreams content type, `id` equal to the final URL),
//! actors, and accounts by `user@host` through WebFinger.
//!
//! Every fetch is one call of `net::Client::get` (its own deadline, byte cap and redirect
//! budget); callers that follow data to more fetches count them.

use std::time::Duration;

use serde_json::Value;

use crate::app::remote::ActorInput;
use crate::app::{App, keys, remote};
use crate::model::AccountId;
use crate::net::{self, HeaderMap, Method, Url};
use crate::sig::SigningKey;
use crate::sig::httpsig;
use crate::util::time::now_ms;

use super::FederationError;
use super::vocab::{self, Object, ParseOptions};

/// A known actor is refetched after this long when it is needed for a key or an inbox.
pub const ACTOR_REFRESH_MS: u64 = 24 * 60 * 60 * 1000;

/// Options for parsing what peers send: `http` ids only when private networks are allowed.
pub fn parse_options(app: &App) -> ParseOptions {
    ParseOptions {
        allow_http: app.net.is_permissive(),
    }
}

/// The host (with port) of a URL, lowercase.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Refuses hosts under a suspending domain block, and hosts not allowed in
/// `federation.allowlist_mode` (`app::domains::refuses_host`).
pub fn check_domain(app: &App, host: &str) -> Result<(), FederationError> {
    let refused = app
        .store
        .read(|tx| crate::app::domains::refuses_host(app, tx, host))?;
    if refused {
        return Err(FederationError::Blocked);
    }
    Ok(())
}

/// The instance actor's key and key id, which sign fetches no user asked for.
fn instance_signer(app: &App) -> Result<(SigningKey, String), FederationError> {
    let (der, _) = keys::ensure_instance_key(app)?;
    let key = SigningKey::from_pkcs8(&der)?;
    Ok((
        key,
        format!("{}#main-key", super::render::instance_actor_id(app)),
    ))
}

/// Adds `Host`, `Date` and a draft-cavage `Signature` for a GET.
fn sign_get(key: &SigningKey, key_id: &str, url: &Url, headers: &mut HeaderMap) {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    if let Ok(value) = host.parse() {
        headers.insert(axum::http::header::HOST, value);
    }
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    if let Err(error) = httpsig::sign_request(
        key,
        key_id,
        &Method::GET,
        &path_and_query,
        headers,
        None,
        now_ms() / 1000,
    ) {
        tracing::warn!(%error, "could not sign a fetch");
    }
}

/// GETs a JSON document, signed by the instance actor. `activity` requires an ActivityStreams
/// content type and an `id` equal to the final URL (CVE-2024-25623, CVE-2024-23832).
pub async fn get_json(
    app: &App,
    url: &str,
    activity: bool,
) -> Result<(Value, Url), FederationError> {
    if !app.config.federation.outbound {
        return Err(FederationError::refused("outbound requests are paused"));
    }
    let parsed =
        Url::parse(url).map_err(|_| FederationError::refused(format!("not a URL: {url}")))?;
    let host = host_of(url).ok_or_else(|| FederationError::refused("URL without host"))?;
    check_domain(app, &host)?;
    let signer_app = app.clone();
    let (key, key_id) = tokio::task::spawn_blocking(move || instance_signer(&signer_app))
        .await
        .map_err(|error| FederationError::refused(format!("signing task: {error}")))??;
    let sign =
        move |_: &Method, url: &Url, headers: &mut HeaderMap| sign_get(&key, &key_id, url, headers);
    let accept = if activity {
        net::ACCEPT_ACTIVITY_JSON
    } else {
        net::ACCEPT_JSON
    };
    let fetched = app
        .net
        .get(
            &parsed,
            accept,
            &HeaderMap::new(),
            net::JSON_BODY_BYTES_MAX,
            Some(&sign),
        )
        .await?;
    if !fetched.http_status.is_success() {
        return Err(FederationError::Status {
            url: url.to_string(),
            http_status: fetched.http_status.as_u16(),
        });
    }
    let content_type = fetched.content_type().unwrap_or_default().to_string();
    if activity && !net::is_activity_json(&content_type) {
        return Err(FederationError::refused(format!(
            "{url} is not ActivityStreams ({content_type})"
        )));
    }
    let value: Value = serde_json::from_slice(&fetched.body)
        .map_err(|error| FederationError::Json(error.to_string()))?;
    if activity && value.get("id").and_then(Value::as_str) != Some(fetched.final_url.as_str()) {
        return Err(FederationError::refused(format!(
            "the id of {} is not its URL",
            fetched.final_url
        )));
    }
    Ok((value, fetched.final_url))
}

/// Fetches an actor document and stores the account; returns its id. Its key is stored only
/// if it was before (`ActorInput::keep_key`).
pub async fn fetch_actor(app: &App, uri: &str) -> Result<AccountId, FederationError> {
    fetch_actor_keeping(app, uri, false).await
}

/// `fetch_actor` for the signer of a request we check: its key is stored.
pub async fn fetch_signer(app: &App, uri: &str) -> Result<AccountId, FederationError> {
    fetch_actor_keeping(app, uri, true).await
}

async fn fetch_actor_keeping(
    app: &App,
    uri: &str,
    keep_key: bool,
) -> Result<AccountId, FederationError> {
    let (value, final_url) = get_json(app, uri, true).await?;
    let Object::Actor(actor) = vocab::parse(&value, parse_options(app))? else {
        return Err(FederationError::refused(format!("{uri} is not an actor")));
    };
    let input = ActorInput {
        keep_key,
        ..actor_input(&actor, final_url.as_str())?
    };
    Ok(app.run(move |app| remote::upsert_actor(app, input)).await?)
}

/// An actor as `app::remote` stores it. Its key must belong to it.
pub fn actor_input(
    actor: &vocab::Actor,
    fetched_from: &str,
) -> Result<ActorInput, FederationError> {
    if !vocab::same_origin(&actor.id, fetched_from) {
        return Err(FederationError::refused(
            "actor id on another origin than its document",
        ));
    }
    let key = actor
        .public_keys
        .iter()
        .find(|key| {
            key.owner.as_deref().is_none_or(|owner| owner == actor.id)
                && vocab::same_origin(&key.id, &actor.id)
        })
        .ok_or_else(|| FederationError::refused("actor without a key of its own"))?;
    let host =
        host_of(&actor.id).ok_or_else(|| FederationError::refused("actor id without host"))?;
    Ok(ActorInput {
        uri: actor.id.clone(),
        username: actor.username.clone(),
        host,
        display_name: actor.display_name.clone(),
        note_html: actor.note_html.clone(),
        locked: actor.locked,
        bot: actor.bot,
        discoverable: actor.discoverable,
        indexable: actor.indexable,
        fields: actor
            .fields
            .iter()
            .map(|field| (field.name.clone(), field.value_html.clone()))
            .collect(),
        inbox: actor.inbox.clone(),
        shared_inbox: actor.shared_inbox.clone(),
        followers: actor.followers.clone(),
        url: actor.url.clone(),
        key_id: key.id.clone(),
        public_key_pem: key.pem.clone(),
        keep_key: false,
        published_ms: actor.published_ms,
        avatar_url: actor.avatar_url.clone(),
        header_url: actor.header_url.clone(),
        emojis: actor
            .emojis
            .iter()
            .map(|emoji| (emoji.shortcode.clone(), emoji.image_url.clone()))
            .collect(),
    })
}

/// An actor we know and fetched recently, or fetched now.
pub async fn ensure_actor(app: &App, uri: &str) -> Result<AccountId, FederationError> {
    if let Some(id) = remote::local_account_by_uri(app, uri)? {
        return Ok(id);
    }
    if let Some((account, actor)) = remote::actor_by_uri(app, uri)? {
        if now_ms().saturating_sub(actor.fetched_ms) < ACTOR_REFRESH_MS {
            return Ok(account.id);
        }
        // Stale: refresh, but keep using what we have if the peer is down.
        return Ok(fetch_actor(app, uri).await.unwrap_or(account.id));
    }
    fetch_actor(app, uri).await
}

/// Resolves `user@host` to an account, asking the host's WebFinger for remote ones.
pub async fn resolve_account(app: &App, acct: &str) -> Result<AccountId, FederationError> {
    let acct = acct.trim().trim_start_matches('@').to_ascii_lowercase();
    let (user, host) = acct.split_once('@').ok_or(FederationError::NotFound)?;
    if user.is_empty() || host.is_empty() || acct.len() > 512 {
        return Err(FederationError::NotFound);
    }
    if host == app.config.server.host.to_ascii_lowercase() {
        let lookup = user.to_string();
        return Ok(app
            .run(move |app| crate::app::accounts::lookup(app, &lookup))
            .await?
            .account
            .id);
    }
    let known = {
        let acct = acct.clone();
        app.run(move |app| {
            app.store
                .read(|tx| crate::store::accounts::account_id_by_acct(tx, &acct))
                .map_err(Into::into)
        })
        .await?
    };
    if let Some(id) = known {
        return Ok(id);
    }
    let schemes: &[&str] = if app.net.is_permissive() {
        &["https", "http"]
    } else {
        &["https"]
    };
    let mut last_error = FederationError::NotFound;
    for scheme in schemes {
        let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}");
        let document = match get_json(app, &url, false).await {
            Ok((document, _)) => document,
            Err(error) => {
                last_error = error;
                continue;
            }
        };
        let link = document["links"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|link| {
                link["rel"] == "self" && link["type"].as_str().is_some_and(net::is_activity_json)
            })
            .and_then(|link| link["href"].as_str())
            .ok_or(FederationError::NotFound)?
            .to_string();
        if host_of(&link).as_deref() != Some(host) {
            return Err(FederationError::refused("WebFinger points at another host"));
        }
        return fetch_actor(app, &link).await;
    }
    Err(last_error)
}

/// Waits at most this long for a fetch started from the client API (search with resolve).
pub const RESOLVE_WAIT: Duration = Duration::from_secs(15);
