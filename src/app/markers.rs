//! Timeline read positions (`/api/v1/markers`), kept per account for `home` and
//! `notifications`.

use crate::model::AccountId;
use crate::model::Marker;
use crate::store::client_state;
use crate::util::time::now_ms;

use super::{App, AppError};

/// The timelines a marker may be kept for.
pub const TIMELINES: [&str; 2] = ["home", "notifications"];

pub fn get(
    app: &App,
    viewer: AccountId,
    timelines: &[String],
) -> Result<Vec<(String, Marker)>, AppError> {
    app.store.read(|tx| {
        let mut found = Vec::new();
        for timeline in timelines
            .iter()
            .filter(|name| TIMELINES.contains(&name.as_str()))
        {
            if let Some(marker) = client_state::get_marker(tx, viewer.0, timeline, app.bytes_max())?
            {
                found.push((timeline.clone(), marker));
            }
        }
        Ok(found)
    })
}

/// Sets markers; unknown timelines are ignored. Each write bumps the marker's version.
pub fn set(
    app: &App,
    viewer: AccountId,
    updates: Vec<(String, u64)>,
) -> Result<Vec<(String, Marker)>, AppError> {
    app.write(|tx| {
        let mut written = Vec::new();
        for (timeline, last_read_id) in updates
            .into_iter()
            .filter(|(name, _)| TIMELINES.contains(&name.as_str()))
        {
            let previous = client_state::get_marker(tx, viewer.0, &timeline, app.bytes_max())?;
            let marker = Marker {
                last_read_id,
                version: previous.map_or(0, |marker| marker.version.saturating_add(1)),
                updated_ms: now_ms(),
            };
            client_state::put_marker(tx, viewer.0, &timeline, &marker)?;
            written.push((timeline, marker));
        }
        Ok(written)
    })
}
