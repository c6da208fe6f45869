//! Relay subscriptions on the wire: the instance actor's Follow of each relay the admin added
//! (`app::relays`), sent once its inbox is known. Mastodon-style relays are given by their
//! inbox; LitePub-style relays by their actor, which is fetched first (through the normal
//! fetch path: guarded client, domain blocks, byte caps). What relays deliver is applied by
//! `inbound` (`relay_content`).

use crate::app::{App, AppError, relays};
use crate::model::{Delivery, RelayStyle};
use crate::store::queues;
use crate::util::time::now_ms;

use super::{FederationError, fetch, render};

/// Sends the Follow of every relay that has none yet; returns how many were queued. A relay
/// whose actor cannot be fetched now is tried again on a later turn.
pub async fn subscribe_pending(app: &App) -> Result<usize, FederationError> {
    let pending = app.run(relays::unsubscribed).await?;
    let mut queued = 0;
    for relay in pending {
        let (actor, inbox) = match relay.style {
            RelayStyle::Mastodon => (None, relay.url.clone()),
            RelayStyle::LitePub => {
                let account = match fetch::ensure_actor(app, &relay.url).await {
                    Ok(account) => account,
                    Err(error) => {
                        tracing::info!(%error, url = %relay.url, "relay actor not fetched");
                        continue;
                    }
                };
                let Some(remote) = crate::app::remote::actor(app, account)? else {
                    continue;
                };
                let inbox = remote.shared_inbox.unwrap_or(remote.inbox);
                (Some(remote.uri), inbox)
            }
        };
        let id = relay.id;
        app.run(move |app| {
            app.write(|tx| {
                let Some(relay) = relays::mark_subscribing(app, tx, id, actor, &inbox)? else {
                    return Ok(());
                };
                let follow = render::relay_follow(
                    app,
                    &relays::follow_id(app, relay.id),
                    &relays::follow_object(&relay),
                );
                let delivery = Delivery {
                    inbox,
                    body: follow.to_string().into_bytes(),
                    signer: None,
                    attempts: 0,
                    created_ms: now_ms(),
                };
                queues::put_delivery(tx, app.next_id(), &delivery, now_ms())?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
        queued += 1;
    }
    if queued > 0 {
        app.deliveries_ready.notify_one();
    }
    Ok(queued)
}
