//! `/api/v1/announcements`: Skerry has no way to publish announcements yet (moderation,
//! issue 8), so the list is empty and every announcement id is unknown (404), as Mastodon
//! answers for an id that does not exist.

use axum::Json;
use axum::extract::{Path, State};

use crate::api::{ApiError, Auth};
use crate::app::App;
use crate::model::Scope;

pub async fn list(
    State(_app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    auth.user(Scope::ReadAccounts)?;
    Ok(Json(Vec::new()))
}

/// Dismiss, and add or remove a reaction: no announcement exists.
pub async fn unknown(
    State(_app): State<App>,
    auth: Auth,
    Path(_path): Path<Vec<String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.user(Scope::WriteAccounts)?;
    Err(ApiError::not_found())
}
