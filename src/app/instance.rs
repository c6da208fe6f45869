//! Figures about this instance for `/api/v1/instance` and `/api/v2/instance`.

use crate::store::{accounts, timelines};

use super::{App, AppError};

#[derive(Clone, Copy, Debug, Default)]
pub struct InstanceStats {
    pub users: u64,
    /// Public statuses of local accounts.
    pub statuses: u64,
}

pub fn stats(app: &App) -> Result<InstanceStats, AppError> {
    app.store.read(|tx| {
        Ok(InstanceStats {
            users: accounts::count_users(tx)?,
            statuses: timelines::count_local_public(tx)?,
        })
    })
}
