//! Web Push: `/api/v1/push/subscription` (create, get, update, delete; one subscription per
//! access token) and the push worker, which sends queued pushes encrypted (RFC 8291) and
//! signed with the VAPID key (RFC 8292) through the one outbound HTTP client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::api::{ApiError, Auth, Params};
use crate::app::App;
use crate::app::push::{self, Outcome, Prepared, SubscriptionInput};
use crate::model::{PushSubscription, Scope};

/// Pushes prepared per pass of the worker.
const BATCH_MAX: usize = 32;
/// Longest sleep of an idle push worker.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long a push service keeps an undelivered push (Mastodon: 48 hours).
const TTL_SECS: u64 = 48 * 3600;
/// Validity of a VAPID JWT (RFC 8292 allows at most 24 hours).
const JWT_VALIDITY_SECS: u64 = 12 * 3600;

#[derive(Deserialize)]
pub struct SubscribeParams {
    subscription: Option<SubscriptionParams>,
    #[serde(default)]
    data: DataParams,
    /// Some clients (Mastodon.py) send `policy` next to `data` rather than in it.
    policy: Option<String>,
}

#[derive(Deserialize)]
struct SubscriptionParams {
    #[serde(default)]
    endpoint: String,
    keys: Option<KeysParams>,
}

#[derive(Deserialize)]
struct KeysParams {
    #[serde(default)]
    p256dh: String,
    #[serde(default)]
    auth: String,
}

#[derive(Default, Deserialize)]
pub struct DataParams {
    #[serde(default)]
    alerts: BTreeMap<String, Value>,
    policy: Option<String>,
}

#[derive(Deserialize)]
pub struct UpdateParams {
    #[serde(default)]
    data: DataParams,
    /// Some clients send `policy` next to `data` rather than in it.
    policy: Option<String>,
}

/// `true`, `"true"` (any case), `"1"`, `"on"` are on; anything else is off (forms send text).
fn alerts(data: &DataParams) -> Vec<(String, bool)> {
    data.alerts
        .iter()
        .map(|(name, value)| {
            let on = match value {
                Value::Bool(on) => *on,
                // Python's form encoding sends `True`: compared without case, as Rails does.
                Value::String(text) => {
                    text.eq_ignore_ascii_case("true") || text == "1" || text == "on"
                }
                Value::Number(number) => number.as_u64() == Some(1),
                _ => false,
            };
            (name.clone(), on)
        })
        .collect()
}

/// `WebPushSubscription` (https://docs.joinmastodon.org/entities/WebPushSubscription/).
#[derive(Serialize)]
pub struct WebPushSubscriptionEntity {
    id: String,
    endpoint: String,
    standard: bool,
    alerts: BTreeMap<&'static str, bool>,
    policy: &'static str,
    server_key: String,
}

async fn entity(
    app: &App,
    subscription: &PushSubscription,
) -> Result<WebPushSubscriptionEntity, ApiError> {
    let server_key = app
        .run(|app| Ok(push::vapid_key(app)?.public_key_base64url()))
        .await?;
    Ok(WebPushSubscriptionEntity {
        id: subscription.id.to_string(),
        endpoint: subscription.endpoint.clone(),
        standard: false,
        alerts: push::ALERTS
            .iter()
            .map(|name| (*name, subscription.alerts.iter().any(|on| on == name)))
            .collect(),
        policy: subscription.policy.name(),
        server_key,
    })
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<SubscribeParams>,
) -> Result<Json<WebPushSubscriptionEntity>, ApiError> {
    let account = auth.user(Scope::Push)?;
    let subscription = params
        .subscription
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Subscription can't be blank"))?;
    let keys = subscription
        .keys
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Keys can't be blank"))?;
    let input = SubscriptionInput {
        endpoint: subscription.endpoint,
        p256dh: keys.p256dh,
        auth: keys.auth,
        alerts: alerts(&params.data),
        policy: params.data.policy.clone().or(params.policy),
    };
    let token_hash = auth.token_hash.clone();
    let access_token = auth.bearer.0.clone();
    let created = app
        .run(move |app| push::subscribe(app, account, token_hash, access_token, input))
        .await?;
    Ok(Json(entity(&app, &created).await?))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<WebPushSubscriptionEntity>, ApiError> {
    auth.user(Scope::Push)?;
    let token_hash = auth.token_hash.clone();
    let found = app.run(move |app| push::get(app, &token_hash)).await?;
    Ok(Json(entity(&app, &found).await?))
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<UpdateParams>,
) -> Result<Json<WebPushSubscriptionEntity>, ApiError> {
    auth.user(Scope::Push)?;
    let token_hash = auth.token_hash.clone();
    let changes = alerts(&params.data);
    let policy = params.data.policy.or(params.policy);
    let updated = app
        .run(move |app| push::update(app, &token_hash, &changes, policy.as_deref()))
        .await?;
    Ok(Json(entity(&app, &updated).await?))
}

pub async fn delete(State(app): State<App>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::Push)?;
    let token_hash = auth.token_hash.clone();
    app.run(move |app| push::unsubscribe(app, &token_hash))
        .await?;
    Ok(Json(serde_json::json!({})))
}

/// Sends one push; the outcome decides what happens to it.
async fn send(app: &App, key: &crate::sig::webpush::VapidKey, prepared: &Prepared) -> Outcome {
    let subscription = &prepared.subscription;
    let Ok(url) = crate::net::Url::parse(&subscription.endpoint) else {
        return Outcome::Gone;
    };
    let Ok(body) = crate::sig::webpush::encrypt(
        &subscription.p256dh,
        &subscription.auth,
        prepared.message.as_bytes(),
    ) else {
        return Outcome::Refused;
    };
    let audience = url.origin().ascii_serialization();
    let subject = if app.config.instance.contact_email.is_empty() {
        app.base_url.clone()
    } else {
        format!("mailto:{}", app.config.instance.contact_email)
    };
    let expires = crate::util::time::now_ms() / 1000 + JWT_VALIDITY_SECS;
    let Ok(authorization) = key.authorization(&audience, expires, &subject) else {
        return Outcome::Refused;
    };
    let mut headers = HeaderMap::new();
    let mut insert = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    insert("ttl", &TTL_SECS.to_string());
    insert("content-encoding", "aes128gcm");
    insert("content-type", "application/octet-stream");
    insert("urgency", "normal");
    insert("authorization", &authorization);
    match app.net.post(&url, &headers, body.into(), None).await {
        Ok(posted) if posted.http_status.is_success() => Outcome::Sent,
        Ok(posted) if matches!(posted.http_status.as_u16(), 404 | 410) => Outcome::Gone,
        Ok(posted)
            if posted.http_status.as_u16() == 429 || posted.http_status.is_server_error() =>
        {
            Outcome::Retry
        }
        Ok(_) => Outcome::Refused,
        Err(error) => {
            tracing::debug!(%error, "a push was not sent");
            Outcome::Retry
        }
    }
}

/// The push worker: sends due pushes until `shutdown` turns true.
pub async fn run(app: App, mut shutdown: watch::Receiver<bool>) {
    /// Pause after a storage error before trying again.
    const ERROR_PAUSE: Duration = Duration::from_secs(5);
    // The key is made on first start, before any subscription can name it.
    let key = match app.run(push::vapid_key).await {
        Ok(key) => Arc::new(key),
        Err(error) => {
            tracing::error!(%error, "no VAPID key: Web Push is off");
            return;
        }
    };
    loop {
        if *shutdown.borrow() {
            return;
        }
        loop {
            let batch = match app.run(|app| push::due(app, BATCH_MAX)).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "push worker");
                    tokio::time::sleep(ERROR_PAUSE).await;
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            for prepared in batch {
                let outcome = send(&app, &key, &prepared).await;
                let delivery = prepared.delivery.clone();
                if let Err(error) = app
                    .run(move |app| push::finish(app, &delivery, outcome))
                    .await
                {
                    tracing::warn!(%error, "push worker");
                }
            }
        }
        tokio::select! {
            changed = shutdown.changed() => if changed.is_err() { return },
            () = app.push_ready.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}
