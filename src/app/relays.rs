//! Relays: the admin's subscriptions (add, list, remove), what the inbound worker asks of them
//! (is this signer an accepted relay? count what it delivered), and the answers to our
//! Follow. Subscribing needs the network, so `federation::relays` sends the Follow of a
//! relay added here (`inbox == None`); removing one enqueues the Undo in the same transaction.
//!
//! A relay's state is stored (pending, accepted, rejected) except `failing`, which is shown
//! when the relay's host has failed `RELAY_HOST_FAILURES_FAILING` deliveries in a row.

use redb::WriteTransaction;

use crate::model::{OutboxIntent, Relay, RelayState, RelayStyle, Role};
use crate::store::{Reader, queues, relays};
use crate::util::time::now_ms;

use super::admin::{Actor, require_role};
use super::{App, AppError};

/// Relays one instance subscribes to; each is a stream of every post of its members, so a
/// handful is already a lot for a small machine.
pub const RELAYS_MAX: usize = 32;
/// Longest relay URL accepted (the same cap as ActivityPub ids).
pub const RELAY_URL_BYTES_MAX: usize = 2048;
/// Days of per-day counts kept on each relay record.
pub const RECEIVED_DAYS_KEPT: usize = 7;
/// Consecutive delivery failures to the relay's host after which it shows as `failing`
/// (the delivery breaker's threshold).
pub const RELAY_HOST_FAILURES_FAILING: u32 = 10;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// A relay with the state to show.
#[derive(Clone, Debug)]
pub struct RelayView {
    pub relay: Relay,
    /// The stored state, or `Failing` when its host keeps failing.
    pub state: RelayState,
    /// Activities received today (UTC) and over the kept days.
    pub received_today: u32,
    pub received_total: u32,
}

/// The host (with a port, as the delivery breaker records it) of a URL.
fn host_with_port(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Checks a relay URL and tells its style: a path ending in `/inbox` is a relay inbox
/// (Mastodon style), anything else the relay's actor (LitePub style).
pub fn parse_url(text: &str, allow_http: bool) -> Result<(String, RelayStyle), AppError> {
    let text = text.trim();
    if text.len() > RELAY_URL_BYTES_MAX {
        return Err(AppError::Validation("relay URL too long".into()));
    }
    let url = url::Url::parse(text)
        .map_err(|_| AppError::Validation(format!("{text:?} is not a URL")))?;
    let https = url.scheme() == "https";
    let allowed_http = url.scheme() == "http" && allow_http;
    if !(https || allowed_http) || url.host_str().is_none() || !url.username().is_empty() {
        return Err(AppError::Validation(
            "a relay URL is https://host/inbox or https://host/actor".into(),
        ));
    }
    let style = if url.path().trim_end_matches('/').ends_with("/inbox") {
        RelayStyle::Mastodon
    } else {
        RelayStyle::LitePub
    };
    Ok((url.to_string(), style))
}

fn view(reader: &impl Reader, relay: Relay) -> Result<RelayView, AppError> {
    let host = host_with_port(relay.inbox.as_deref().unwrap_or(&relay.url));
    let failures = match host {
        Some(host) => queues::host_failures(reader, &host)?.map_or(0, |(count, _, _)| count),
        None => 0,
    };
    let state = if relay.state != RelayState::Rejected && failures >= RELAY_HOST_FAILURES_FAILING {
        RelayState::Failing
    } else {
        relay.state
    };
    let today = day_of(now_ms());
    let received_today = relay
        .received_days
        .iter()
        .find(|(day, _)| *day == today)
        .map_or(0, |(_, count)| *count);
    let received_total = relay
        .received_days
        .iter()
        .fold(0u32, |sum, (_, count)| sum.saturating_add(*count));
    Ok(RelayView {
        relay,
        state,
        received_today,
        received_total,
    })
}

fn day_of(ms: u64) -> u32 {
    u32::try_from(ms / DAY_MS).unwrap_or(u32::MAX)
}

/// Subscribes to a relay: stored as pending; `federation::relays` sends the Follow.
/// Adding a relay that is there already answers it.
pub fn add(app: &App, actor: Actor, url: &str) -> Result<(RelayView, bool), AppError> {
    let (url, style) = parse_url(url, app.net.is_permissive())?;
    let host = host_with_port(&url).unwrap_or_default();
    let created = app.write(|tx| {
        require_role(app, tx, actor, Role::Admin)?;
        let existing = relays::list(tx, RELAYS_MAX, app.bytes_max())?;
        if let Some(relay) = existing.iter().find(|relay| relay.url == url) {
            return Ok((relay.clone(), false));
        }
        if existing.len() >= RELAYS_MAX {
            return Err(AppError::Validation(format!("at most {RELAYS_MAX} relays")));
        }
        if super::domains::refuses_inbox(app, tx, &url)? {
            return Err(AppError::Validation(format!("{host} is blocked")));
        }
        let relay = Relay {
            id: app.next_id(),
            url: url.clone(),
            style,
            state: RelayState::Pending,
            actor: None,
            inbox: None,
            created_ms: now_ms(),
            last_seen_ms: None,
            received_days: Vec::new(),
        };
        relays::put(tx, &relay)?;
        Ok::<_, AppError>((relay, true))
    })?;
    app.relays_ready.notify_one();
    let (relay, fresh) = created;
    Ok((app.store.read(|tx| view(tx, relay))?, fresh))
}

pub fn list(app: &App, actor: Actor) -> Result<Vec<RelayView>, AppError> {
    app.store.read(|tx| {
        require_role(app, tx, actor, Role::Admin)?;
        relays::list(tx, RELAYS_MAX, app.bytes_max())?
            .into_iter()
            .map(|relay| view(tx, relay))
            .collect()
    })
}

/// The relay with this id, or the one whose URL or actor is `key`.
pub fn find(app: &App, actor: Actor, key: &str) -> Result<RelayView, AppError> {
    let found = list(app, actor)?.into_iter().find(|view| {
        view.relay.id.to_string() == key
            || view.relay.url == key
            || view.relay.url.trim_end_matches('/') == key.trim_end_matches('/')
            || view.relay.actor.as_deref() == Some(key)
    });
    found.ok_or(AppError::NotFound)
}

/// Unsubscribes: the record goes, and if a Follow was sent, its Undo is enqueued in the
/// same transaction.
pub fn remove(app: &App, actor: Actor, id: u64) -> Result<Relay, AppError> {
    app.write(|tx| {
        require_role(app, tx, actor, Role::Admin)?;
        let relay = relays::get(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        relays::remove(tx, id)?;
        if let Some(inbox) = &relay.inbox {
            super::outbox::enqueue(
                app,
                tx,
                OutboxIntent::RelayUndo {
                    inbox: inbox.clone(),
                    follow_id: follow_id(app, relay.id),
                    object: follow_object(&relay),
                },
            )?;
        }
        Ok(relay)
    })
}

/// The id of the instance actor's Follow of a relay; the relay's Accept names it.
pub fn follow_id(app: &App, relay_id: u64) -> String {
    format!("{}/relays/{relay_id}", app.base_url)
}

/// The relay id in one of our relay Follow ids.
pub fn relay_id_of_follow(app: &App, follow_id: &str) -> Option<u64> {
    follow_id
        .strip_prefix(&format!("{}/relays/", app.base_url))?
        .parse()
        .ok()
}

/// What the Follow follows: the public collection (Mastodon style) or the relay's actor.
pub fn follow_object(relay: &Relay) -> String {
    match relay.style {
        RelayStyle::Mastodon => "https://www.w3.org/ns/activitystreams#Public".to_string(),
        RelayStyle::LitePub => relay.actor.clone().unwrap_or_else(|| relay.url.clone()),
    }
}

/// Relays whose Follow is not sent yet.
pub fn unsubscribed(app: &App) -> Result<Vec<Relay>, AppError> {
    app.store.read(|tx| {
        Ok(relays::list(tx, RELAYS_MAX, app.bytes_max())?
            .into_iter()
            .filter(|relay| relay.inbox.is_none())
            .collect())
    })
}

/// Records that the Follow of `relay` goes to `inbox` (its actor known or not yet), in the
/// transaction that queues the delivery.
pub fn mark_subscribing(
    app: &App,
    tx: &WriteTransaction,
    id: u64,
    actor_uri: Option<String>,
    inbox: &str,
) -> Result<Option<Relay>, AppError> {
    let Some(mut relay) = relays::get(tx, id, app.bytes_max())? else {
        return Ok(None);
    };
    relay.inbox = Some(inbox.to_string());
    if actor_uri.is_some() {
        relay.actor = actor_uri;
    }
    relays::put(tx, &relay)?;
    Ok(Some(relay))
}

/// The relay's answer to our Follow. The answer must come from the relay's actor (LitePub)
/// or, when that is not known yet (Mastodon style), from the host of its inbox. False when
/// no relay matches.
pub fn answer(app: &App, relay_id: u64, signer: &str, accepted: bool) -> Result<bool, AppError> {
    app.write(|tx| answer_in(app, tx, relay_id, signer, accepted))
}

/// `answer` in the caller's transaction; false (and nothing written) when `signer` is not
/// the relay.
pub fn answer_in(
    app: &App,
    tx: &WriteTransaction,
    relay_id: u64,
    signer: &str,
    accepted: bool,
) -> Result<bool, AppError> {
    {
        let Some(mut relay) = relays::get(tx, relay_id, app.bytes_max())? else {
            return Ok(false);
        };
        let from_relay = match &relay.actor {
            Some(actor) => actor == signer,
            None => host_with_port(signer) == host_with_port(&relay.url),
        };
        if !from_relay {
            return Ok(false);
        }
        relay.actor = Some(signer.to_string());
        relay.state = if accepted {
            RelayState::Accepted
        } else {
            RelayState::Rejected
        };
        relay.last_seen_ms = Some(now_ms());
        relays::put(tx, &relay)?;
        Ok(true)
    }
}

/// The accepted relay whose actor is `signer`, if any: what it delivers is taken as relay
/// content (a forwarded Create, an Announce of a post).
pub fn accepted_relay_of(
    app: &App,
    reader: &impl Reader,
    signer: &str,
) -> Result<Option<Relay>, AppError> {
    Ok(relays::list(reader, RELAYS_MAX, app.bytes_max())?
        .into_iter()
        .find(|relay| {
            relay.state == RelayState::Accepted && relay.actor.as_deref() == Some(signer)
        }))
}

/// Counts one activity received from a relay, in the caller's transaction.
pub fn count_received(
    app: &App,
    tx: &WriteTransaction,
    relay_id: u64,
    now_ms: u64,
) -> Result<(), AppError> {
    let Some(mut relay) = relays::get(tx, relay_id, app.bytes_max())? else {
        return Ok(());
    };
    let today = day_of(now_ms);
    match relay.received_days.last_mut() {
        Some((day, count)) if *day == today => *count = count.saturating_add(1),
        _ => relay.received_days.push((today, 1)),
    }
    let excess = relay.received_days.len().saturating_sub(RECEIVED_DAYS_KEPT);
    relay.received_days.drain(..excess);
    relay.last_seen_ms = Some(now_ms);
    relays::put(tx, &relay)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_tell_their_style() {
        let (url, style) = parse_url("https://relay.example/inbox", false).unwrap();
        assert_eq!(
            (url.as_str(), style),
            ("https://relay.example/inbox", RelayStyle::Mastodon)
        );
        let (_, style) = parse_url("https://relay.example/actor", false).unwrap();
        assert_eq!(style, RelayStyle::LitePub);
        for bad in [
            "relay.example",
            "ftp://relay.example/inbox",
            "https://u:p@relay.example/inbox",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("http://relay.example/inbox", false).is_err());
        assert!(parse_url("http://127.0.0.1:8/inbox", true).is_ok());
    }
}
