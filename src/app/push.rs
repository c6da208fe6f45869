//! Web Push: subscriptions (one per access token, as Mastodon), the VAPID key (made on
//! first start) and the durable queue of pushes. A notification that a subscription's
//! alerts and policy accept is queued in the notification's own transaction; the push
//! worker (`api::push`) encrypts and sends it, with retries.

use redb::WriteTransaction;

use crate::model::{
    AccountId, Notification, NotificationKind, PushDelivery, PushPolicy, PushSubscription,
};
use crate::store::{Edge, meta, push};
use crate::util::time::now_ms;

use super::{App, AppError};

/// Mastodon's alert names; the first six are notifications Skerry makes.
pub const ALERTS: [&str; 10] = [
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
];
/// Bytes of a push endpoint URL.
pub const ENDPOINT_BYTES_MAX: usize = 2_048;
/// Subscriptions pushed to per notification (one per token; an account rarely has more).
const SUBSCRIPTIONS_PER_ACCOUNT_MAX: usize = 64;
/// Pushes waiting in all; beyond it new ones are dropped (a push is best-effort, unlike a
/// federation delivery), so a dead push service cannot fill the disk.
pub const QUEUE_MAX: u64 = 100_000;
/// Sending attempts per push before it is dropped.
pub const ATTEMPTS_MAX: u32 = 6;

/// The VAPID key, made and stored on first use. Returns the PKCS#8 DER.
pub fn ensure_vapid_key(app: &App) -> Result<Vec<u8>, AppError> {
    if let Some(der) = app
        .store
        .read(|tx| meta::get(tx, meta::VAPID_PRIVATE_KEY))?
    {
        return Ok(der);
    }
    let fresh = crate::sig::webpush::generate_vapid_pkcs8()
        .map_err(|error| AppError::Internal(error.to_string()))?;
    app.write(|tx| {
        // A stored key is never replaced: subscriptions were made for it.
        if let Some(existing) = meta::get(tx, meta::VAPID_PRIVATE_KEY)? {
            return Ok(existing);
        }
        meta::put(tx, meta::VAPID_PRIVATE_KEY, &fresh)?;
        Ok(fresh)
    })
}

pub fn vapid_key(app: &App) -> Result<crate::sig::webpush::VapidKey, AppError> {
    crate::sig::webpush::VapidKey::from_pkcs8(&ensure_vapid_key(app)?)
        .map_err(|error| AppError::Internal(format!("vapid key: {error}")))
}

/// What a client sends to subscribe or to change a subscription.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionInput {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// Alerts named in the request, on or off; the others stay as they were (off for a new
    /// subscription).
    pub alerts: Vec<(String, bool)>,
    pub policy: Option<String>,
}

/// base64url (Web Push) or standard base64, with or without padding.
fn decode_key(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD_NO_PAD.decode(trimmed))
        .ok()
}

fn apply_alerts(
    subscription: &mut PushSubscription,
    alerts: &[(String, bool)],
    policy: Option<&str>,
) -> Result<(), AppError> {
    for (name, on) in alerts {
        if !ALERTS.contains(&name.as_str()) {
            continue;
        }
        subscription.alerts.retain(|known| known != name);
        if *on {
            subscription.alerts.push(name.clone());
        }
    }
    if let Some(policy) = policy {
        subscription.policy = PushPolicy::parse(policy)
            .ok_or_else(|| AppError::Validation("Policy is not included in the list".into()))?;
    }
    Ok(())
}

/// Subscribes the token (replacing its earlier subscription, as Mastodon does).
pub fn subscribe(
    app: &App,
    account: AccountId,
    token_hash: Vec<u8>,
    access_token: String,
    input: SubscriptionInput,
) -> Result<PushSubscription, AppError> {
    let endpoint = input.endpoint.trim().to_string();
    let secure = endpoint.starts_with("https://")
        || (app.config.federation.allow_private_networks && endpoint.starts_with("http://"));
    if endpoint.len() > ENDPOINT_BYTES_MAX || !secure || url::Url::parse(&endpoint).is_err() {
        return Err(AppError::Validation("Endpoint is not an https URL".into()));
    }
    let p256dh = decode_key(&input.p256dh)
        .filter(|key| key.len() == crate::sig::webpush::PUBLIC_KEY_BYTES)
        .ok_or_else(|| AppError::Validation("Keys p256dh is not a P-256 public key".into()))?;
    let auth = decode_key(&input.auth)
        .filter(|key| key.len() == crate::sig::webpush::AUTH_SECRET_BYTES)
        .ok_or_else(|| AppError::Validation("Keys auth is not 16 bytes".into()))?;
    let mut subscription = PushSubscription {
        id: app.next_id(),
        account,
        token_hash,
        endpoint,
        p256dh,
        auth,
        alerts: Vec::new(),
        policy: PushPolicy::All,
        created_ms: now_ms(),
        access_token,
    };
    apply_alerts(&mut subscription, &input.alerts, input.policy.as_deref())?;
    app.write(|tx| {
        if let Some(previous) =
            push::get_subscription(tx, &subscription.token_hash, app.bytes_max())?
        {
            push::delete_subscription(tx, &previous)?;
        }
        push::put_subscription(tx, &subscription)?;
        Ok(subscription)
    })
}

pub fn get(app: &App, token_hash: &[u8]) -> Result<PushSubscription, AppError> {
    app.store
        .read(|tx| push::get_subscription(tx, token_hash, app.bytes_max()))?
        .ok_or(AppError::NotFound)
}

pub fn update(
    app: &App,
    token_hash: &[u8],
    alerts: &[(String, bool)],
    policy: Option<&str>,
) -> Result<PushSubscription, AppError> {
    app.write(|tx| {
        let mut subscription =
            push::get_subscription(tx, token_hash, app.bytes_max())?.ok_or(AppError::NotFound)?;
        apply_alerts(&mut subscription, alerts, policy)?;
        push::put_subscription(tx, &subscription)?;
        Ok(subscription)
    })
}

pub fn unsubscribe(app: &App, token_hash: &[u8]) -> Result<(), AppError> {
    app.write(|tx| {
        if let Some(subscription) = push::get_subscription(tx, token_hash, app.bytes_max())? {
            push::delete_subscription(tx, &subscription)?;
        }
        Ok(())
    })
}

fn alert_name(kind: NotificationKind) -> &'static str {
    kind.name()
}

/// Queues pushes of a new notification for the recipient's subscriptions whose alerts and
/// policy accept it (inside the notification's transaction).
pub(crate) fn enqueue(
    app: &App,
    tx: &WriteTransaction,
    notification: &Notification,
) -> Result<(), AppError> {
    let recipient = notification.recipient_id;
    let hashes = push::subscriptions_of(tx, recipient, SUBSCRIPTIONS_PER_ACCOUNT_MAX)?;
    if hashes.is_empty() {
        return Ok(());
    }
    if push::queued(tx)? >= QUEUE_MAX {
        tracing::warn!("the push queue is full; a push is dropped");
        return Ok(());
    }
    let from = notification.from_account_id;
    for hash in hashes {
        let Some(subscription) = push::get_subscription(tx, &hash, app.bytes_max())? else {
            continue;
        };
        if !subscription
            .alerts
            .iter()
            .any(|alert| alert == alert_name(notification.kind))
        {
            continue;
        }
        let accepted = match subscription.policy {
            PushPolicy::All => true,
            PushPolicy::Followed => Edge::FOLLOW.contains(tx, recipient.0, from.0)?,
            PushPolicy::Follower => Edge::FOLLOW.contains(tx, from.0, recipient.0)?,
            PushPolicy::None => false,
        };
        if !accepted {
            continue;
        }
        push::put_delivery(
            tx,
            &PushDelivery {
                id: app.next_id(),
                token_hash: hash,
                recipient,
                notification: notification.id,
                attempts: 0,
                due_ms: now_ms(),
            },
            None,
        )?;
    }
    app.push_ready.notify_one();
    Ok(())
}

/// A push ready to send: where, with which keys, and the JSON message.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub delivery: PushDelivery,
    pub subscription: PushSubscription,
    pub message: String,
}

/// The pushes due now, prepared; those whose subscription, token or notification is gone
/// are dropped here.
pub fn due(app: &App, max: usize) -> Result<Vec<Prepared>, AppError> {
    let ids = app.store.read(|tx| push::due(tx, now_ms(), max))?;
    let mut out = Vec::new();
    for id in ids {
        let found = app.store.read(|tx| {
            let Some(delivery) = push::get_delivery(tx, id, app.bytes_max())? else {
                return Ok::<_, AppError>(None);
            };
            let subscription = push::get_subscription(tx, &delivery.token_hash, app.bytes_max())?;
            let token = crate::store::oauth::get_token(tx, &delivery.token_hash, app.bytes_max())?;
            Ok(Some((delivery, subscription, token.is_some())))
        })?;
        let Some((delivery, subscription, token_alive)) = found else {
            continue;
        };
        let subscription = match subscription {
            Some(subscription) if token_alive => subscription,
            gone => {
                // A revoked token takes its subscription with it.
                app.write(|tx| {
                    if let Some(subscription) = gone {
                        push::delete_subscription(tx, &subscription)?;
                    }
                    push::delete_delivery(tx, &delivery)?;
                    Ok::<_, AppError>(())
                })?;
                continue;
            }
        };
        match super::notifications::get(app, delivery.recipient, delivery.notification) {
            Ok(view) => out.push(Prepared {
                message: message(app, &view, &subscription.access_token),
                delivery,
                subscription,
            }),
            Err(AppError::NotFound) => {
                app.write(|tx| Ok::<_, AppError>(push::delete_delivery(tx, &delivery)?))?;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(out)
}

/// Mastodon's push message: ids, type, a title and a plain-text body.
fn message(app: &App, view: &super::notifications::NotificationView, access_token: &str) -> String {
    let notification = &view.notification;
    let who = if view.account.account.display_name.is_empty() {
        view.account.account.username.clone()
    } else {
        view.account.account.display_name.clone()
    };
    let title = match notification.kind {
        NotificationKind::Mention => format!("You were mentioned by {who}"),
        NotificationKind::Favourite => format!("{who} favourited your post"),
        NotificationKind::Reblog => format!("{who} boosted your post"),
        NotificationKind::Follow => format!("{who} is now following you"),
        NotificationKind::FollowRequest => format!("{who} has requested to follow you"),
        NotificationKind::Status => format!("{who} just posted"),
    };
    let body = view
        .status
        .as_ref()
        .map(|status| plain_text(&status.status.content_html))
        .unwrap_or_default();
    /// Characters of the body sent: the encrypted message has a size cap.
    const BODY_CHARS_MAX: usize = 500;
    let mut message = serde_json::json!({
        "access_token": access_token,
        "notification_id": notification.id.to_string(),
        "notification_type": notification.kind.name(),
        "preferred_locale": "en",
        "icon": format!("{}/avatars/original/missing.png", app.base_url),
        "title": title,
        "body": body.chars().take(BODY_CHARS_MAX).collect::<String>(),
    });
    // A subscription from before tokens were kept has none to send.
    if access_token.is_empty() {
        if let Some(fields) = message.as_object_mut() {
            fields.remove("access_token");
        }
    }
    message.to_string()
}

/// The text of sanitized HTML: tags dropped, the common entities decoded.
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// How sending a push went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// 404 or 410: the subscription expired; it is removed.
    Gone,
    /// A refusal that a retry would not change (another 4xx): the push is dropped.
    Refused,
    /// A transport error, 429 or 5xx: tried again later.
    Retry,
}

pub fn finish(app: &App, delivery: &PushDelivery, outcome: Outcome) -> Result<(), AppError> {
    app.write(|tx| {
        let Some(mut current) = push::get_delivery(tx, delivery.id, app.bytes_max())? else {
            return Ok(());
        };
        match outcome {
            Outcome::Retry if current.attempts + 1 < ATTEMPTS_MAX => {
                let previous = current.due_ms;
                current.attempts += 1;
                // 30 s, 1 min, 2 min, 4 min, 8 min.
                current.due_ms = now_ms() + 30_000 * (1u64 << (current.attempts - 1));
                push::put_delivery(tx, &current, Some(previous))?;
            }
            Outcome::Gone => {
                if let Some(subscription) =
                    push::get_subscription(tx, &current.token_hash, app.bytes_max())?
                {
                    push::delete_subscription(tx, &subscription)?;
                }
                push::delete_delivery(tx, &current)?;
            }
            _ => push::delete_delivery(tx, &current)?,
        }
        Ok(())
    })
}
