//! The federation workers: outbox intents → deliveries, deliveries → peers, inbound queue →
//! state. Each is one task that sleeps until woken (a `Notify` from the write path) or until
//! its poll interval passes, and stops when the shutdown channel says so.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::store::queues;
use crate::util::time::now_ms;

/// Longest sleep of an idle worker: a wake-up lost between a check and a wait costs at most
/// this long.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Pause after a storage error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

/// Starts the workers; they stop when `shutdown` turns true or its sender is dropped.
pub fn spawn(app: App, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    // The inbox's group commit is not among the handles: it runs while the server answers,
    // which may outlast the workers during a graceful shutdown.
    let _ = crate::app::ingest::spawn_committer(&app);
    vec![
        tokio::spawn(outbox_loop(app.clone(), shutdown.clone())),
        tokio::spawn(delivery_loop(app.clone(), shutdown.clone())),
        tokio::spawn(inbound_loop(app.clone(), shutdown.clone())),
        tokio::spawn(relay_loop(app, shutdown)),
    ]
}

/// Waits for a wake-up, the timeout or shutdown; false when it is time to stop.
async fn wait(
    notify: &tokio::sync::Notify,
    timeout: Duration,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        changed = shutdown.changed() => changed.is_ok() && !*shutdown.borrow(),
        () = notify.notified() => true,
        () = tokio::time::sleep(timeout) => true,
    }
}

async fn outbox_loop(app: App, mut shutdown: watch::Receiver<bool>) {
    while wait(&app.outbox_ready, IDLE_POLL, &mut shutdown).await {
        loop {
            match app.run(super::outbox::process_batch).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "outbox worker");
                    tokio::time::sleep(ERROR_PAUSE).await;
                    break;
                }
            }
        }
    }
}

async fn delivery_loop(app: App, mut shutdown: watch::Receiver<bool>) {
    let mut timeout = IDLE_POLL;
    while wait(&app.deliveries_ready, timeout, &mut shutdown).await {
        loop {
            match super::delivery::process_due(&app).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "delivery worker");
                    tokio::time::sleep(ERROR_PAUSE).await;
                    break;
                }
            }
        }
        // Sleep until the next delivery is due, but no longer than the idle poll.
        let next = app.store.read(queues::next_due_ms).ok().flatten();
        timeout = next.map_or(IDLE_POLL, |due_ms| {
            Duration::from_millis(due_ms.saturating_sub(now_ms())).min(IDLE_POLL)
        });
    }
}

async fn inbound_loop(app: App, mut shutdown: watch::Receiver<bool>) {
    while wait(&app.inbound_ready, IDLE_POLL, &mut shutdown).await {
        loop {
            match super::inbound::process_batch(&app).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "inbound worker");
                    tokio::time::sleep(ERROR_PAUSE).await;
                    break;
                }
            }
        }
    }
}

/// How often relays whose Follow could not be sent (their actor did not answer) are tried
/// again.
const RELAY_RETRY: Duration = Duration::from_secs(60);

/// Sends the Follow of relays the admin added. Its own task, so that a slow relay actor
/// fetch (up to the fetch deadline) never holds up the other workers.
async fn relay_loop(app: App, mut shutdown: watch::Receiver<bool>) {
    // Relays added while the server was stopped are subscribed at start.
    loop {
        if let Err(error) = super::relays::subscribe_pending(&app).await {
            tracing::warn!(%error, "relay subscriber");
        }
        if !wait(&app.relays_ready, RELAY_RETRY, &mut shutdown).await {
            return;
        }
    }
}
