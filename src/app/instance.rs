//! Figures about this instance for `/api/v1/instance` and `/api/v2/instance`.

use redb::ReadableTableMetadata;

use crate::store::{Reader, accounts, schema};

use super::{App, AppError};

#[derive(Clone, Copy, Debug, Default)]
pub struct InstanceStats {
    pub users: u64,
    pub statuses: u64,
}

pub fn stats(app: &App) -> Result<InstanceStats, AppError> {
    app.store.read(|tx| {
        let statuses = tx
            .table(schema::LOCAL_STATUSES)?
            .len()
            .map_err(crate::store::StoreError::from)?;
        Ok(InstanceStats {
            users: accounts::count_users(tx)?,
            statuses,
        })
    })
}
