//! Sending deliveries: each one a signed POST of one activity to one inbox, retried with
//! Mastodon's backoff ((n⁴ + 15) s plus jitter, 16 attempts over about 2–3 days), final on
//! 4xx (except 408 and 429), with a per-host circuit breaker so that a dead server costs
//! a lookup, not a connection attempt, per delivery.

use bytes::Bytes;

use crate::app::{App, AppError, accounts, keys};
use crate::model::Delivery;
use crate::net::{HeaderMap, Method, Url};
use crate::sig::SigningKey;
use crate::sig::httpsig;
use crate::store::queues;
use crate::util::time::now_ms;

use super::fetch::{check_domain, host_of};

/// Deliveries sent per turn of the worker, at most this many at once.
pub const DELIVERIES_PER_BATCH: usize = 32;
pub const DELIVERIES_IN_FLIGHT_MAX: usize = 8;
/// Deliveries to one host sent at once.
pub const HOST_IN_FLIGHT_MAX: usize = 2;
/// Attempts before a delivery is given up (Mastodon: 16).
pub const ATTEMPTS_MAX: u32 = 16;
/// Consecutive failures after which a host is left alone for `HOST_COOL_OFF_MS`
/// (Mastodon's breaker: 10 failures, 60 s).
pub const HOST_FAILURES_MAX: u32 = 10;
pub const HOST_COOL_OFF_MS: u64 = 60_000;

/// What became of one attempt.
enum Outcome {
    Delivered,
    Retry,
    /// Refused for good (404, 410, other 4xx, a blocked domain, a bad URL).
    Final(String),
    /// The host is cooling off: try later without counting an attempt.
    Later(u64),
}

/// Mastodon's delay before attempt `attempts + 1`: (n⁴ + 15) s plus up to 10 (n + 1) s.
pub fn backoff_ms(attempts: u32) -> u64 {
    let n = u64::from(attempts);
    let mut jitter = [0u8; 1];
    crate::util::random::fill(&mut jitter);
    let jitter_secs = u64::from(jitter[0] % 10) * (n + 1);
    (n.pow(4) + 15 + jitter_secs) * 1000
}

fn signer(app: &App, delivery: &Delivery) -> Result<(SigningKey, String), AppError> {
    let (der, key_id) = match delivery.signer {
        Some(account) => {
            let username = accounts::get(app, account)?.account.username;
            (
                keys::account_key(app, account)?,
                format!("{}#main-key", app.actor_url(&username)),
            )
        }
        None => (
            keys::ensure_instance_key(app)?.0,
            format!("{}#main-key", super::render::instance_actor_id(app)),
        ),
    };
    let key =
        SigningKey::from_pkcs8(&der).map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((key, key_id))
}

async fn attempt(app: &App, delivery: &Delivery) -> Outcome {
    if !app.config.federation.outbound {
        return Outcome::Later(now_ms() + HOST_COOL_OFF_MS);
    }
    let Ok(url) = Url::parse(&delivery.inbox) else {
        return Outcome::Final("not a URL".into());
    };
    let Some(host) = host_of(&delivery.inbox) else {
        return Outcome::Final("no host".into());
    };
    if check_domain(app, &host).is_err() {
        return Outcome::Final("blocked domain".into());
    }
    let health = {
        let host = host.clone();
        app.run(move |app| Ok(app.store.read(|tx| queues::host_failures(tx, &host))?))
            .await
    };
    if let Ok(Some((failures, _, last_ms))) = health {
        let now = now_ms();
        if failures >= HOST_FAILURES_MAX && now.saturating_sub(last_ms) < HOST_COOL_OFF_MS {
            return Outcome::Later(last_ms + HOST_COOL_OFF_MS);
        }
    }
    let signing = {
        let delivery = delivery.clone();
        app.run(move |app| signer(app, &delivery)).await
    };
    let (key, key_id) = match signing {
        Ok(signing) => signing,
        // The signer is gone (account deleted): nobody can sign this any more.
        Err(AppError::NotFound) => return Outcome::Final("signer gone".into()),
        Err(_) => return Outcome::Retry,
    };
    let mut headers = HeaderMap::new();
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    if let (Ok(host_value), Ok(content_type)) = (authority.parse(), super::ACTIVITY_JSON.parse()) {
        headers.insert(axum::http::header::HOST, host_value);
        headers.insert(axum::http::header::CONTENT_TYPE, content_type);
    }
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    if let Err(error) = httpsig::sign_request(
        &key,
        &key_id,
        &Method::POST,
        &path_and_query,
        &mut headers,
        Some(&delivery.body),
        now_ms() / 1000,
    ) {
        return Outcome::Final(format!("signing failed: {error}"));
    }
    match app
        .net
        .post(&url, &headers, Bytes::from(delivery.body.clone()), None)
        .await
    {
        Ok(posted) if posted.http_status.is_success() => Outcome::Delivered,
        Ok(posted) => {
            let code = posted.http_status.as_u16();
            if (400..500).contains(&code) && code != 408 && code != 429 {
                Outcome::Final(format!("answered {code}"))
            } else {
                Outcome::Retry
            }
        }
        Err(error) => {
            tracing::debug!(%error, inbox = %delivery.inbox, "delivery failed");
            Outcome::Retry
        }
    }
}

/// Sends the deliveries that are due; returns how many it handled.
pub async fn process_due(app: &App) -> Result<usize, AppError> {
    let due = app
        .run(|app| {
            Ok(app.store.read(|tx| {
                queues::due_deliveries(tx, now_ms(), DELIVERIES_PER_BATCH, app.bytes_max())
            })?)
        })
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // At most `HOST_IN_FLIGHT_MAX` per host in one turn: a busy peer gets its deliveries a
    // few at a time, and the rest wait for the next turn.
    let mut per_host: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let due: Vec<_> = due
        .into_iter()
        .filter(|(_, _, delivery)| {
            let count = per_host
                .entry(host_of(&delivery.inbox).unwrap_or_default())
                .or_insert(0);
            *count += 1;
            *count <= HOST_IN_FLIGHT_MAX
        })
        .collect();
    let mut results = Vec::with_capacity(due.len());
    for chunk in due.chunks(DELIVERIES_IN_FLIGHT_MAX) {
        let mut set = tokio::task::JoinSet::new();
        for (index, (_, _, delivery)) in chunk.iter().enumerate() {
            let (app, delivery) = (app.clone(), delivery.clone());
            set.spawn(async move { (index, attempt(&app, &delivery).await) });
        }
        let mut outcomes: Vec<Option<Outcome>> = (0..chunk.len()).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((index, outcome)) = joined {
                outcomes[index] = Some(outcome);
            }
        }
        for (item, outcome) in chunk.iter().cloned().zip(outcomes) {
            results.push((item, outcome.unwrap_or(Outcome::Retry)));
        }
    }
    let handled = results.len();
    app.run(move |app| {
        let now = now_ms();
        app.store.write(|tx| {
            for ((due_ms, id, mut delivery), outcome) in results {
                let host = host_of(&delivery.inbox).unwrap_or_default();
                match outcome {
                    Outcome::Delivered => {
                        queues::remove_delivery(tx, id, due_ms)?;
                        queues::record_host_success(tx, &host)?;
                    }
                    Outcome::Final(reason) => {
                        tracing::info!(inbox = %delivery.inbox, %reason, "delivery given up");
                        queues::remove_delivery(tx, id, due_ms)?;
                    }
                    Outcome::Later(at_ms) => queues::reschedule_delivery(tx, id, due_ms, &delivery, at_ms.max(now + 1))?,
                    Outcome::Retry => {
                        queues::record_host_failure(tx, &host, now)?;
                        delivery.attempts += 1;
                        if delivery.attempts >= ATTEMPTS_MAX {
                            tracing::info!(inbox = %delivery.inbox, "delivery given up after {ATTEMPTS_MAX} attempts");
                            queues::remove_delivery(tx, id, due_ms)?;
                        } else {
                            let next = now + backoff_ms(delivery.attempts);
                            queues::reschedule_delivery(tx, id, due_ms, &delivery, next)?;
                        }
                    }
                }
            }
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(handled)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_follows_mastodons_shape() {
        let first = super::backoff_ms(1);
        assert!((16_000..=36_000).contains(&first), "{first}");
        let last = super::backoff_ms(15);
        assert!(last >= 50_640_000, "{last}");
        let total: u64 = (1..16u64).map(|attempt| attempt.pow(4) + 15).sum();
        // Mastodon's schedule spans about two and a half days before jitter.
        assert!((2 * 86_400..3 * 86_400).contains(&total), "{total}");
    }
}
