//! Recording what peers must hear about. Every local action that federates calls `enqueue`
//! inside its own write transaction (one write path); the federation worker turns intents
//! into activities and deliveries, and drops those that reach no remote account.

use redb::WriteTransaction;

use crate::model::OutboxIntent;
use crate::store::queues;

use super::{App, AppError};

pub fn enqueue(app: &App, tx: &WriteTransaction, intent: OutboxIntent) -> Result<(), AppError> {
    queues::push_intent(tx, app.next_id(), &intent)?;
    app.outbox_ready.notify_one();
    Ok(())
}
