//! `/api/v1/announcements`: the current announcements an admin published
//! (`skerry admin announcement`), and dismissing them. Reactions are not kept: adding or
//! removing one answers 422.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api::{ApiError, Auth, parse_id};
use crate::app::{App, announcements};
use crate::model::Scope;
use crate::util::time::iso8601_ms;

pub async fn list(State(app): State<App>, auth: Auth) -> Result<Json<Vec<Value>>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let current = app
        .run(move |app| announcements::current(app, viewer))
        .await?;
    Ok(Json(
        current
            .iter()
            .map(|(announcement, read)| {
                let published = iso8601_ms(announcement.published_ms);
                json!({
                    "id": announcement.id.to_string(),
                    "content": announcement.html,
                    "starts_at": null,
                    "ends_at": announcement.ends_ms.map(iso8601_ms),
                    "all_day": false,
                    "published": true,
                    "published_at": published,
                    "updated_at": published,
                    "read": read,
                    "mentions": [],
                    "statuses": [],
                    "tags": [],
                    "emojis": [],
                    "reactions": [],
                })
            })
            .collect(),
    ))
}

/// `POST /api/v1/announcements/:id/dismiss`: answers an empty object, as Mastodon.
pub async fn dismiss(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteAccounts)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| announcements::dismiss(app, viewer, id))
        .await?;
    Ok(Json(json!({})))
}

/// Reactions to announcements are not kept.
pub async fn reaction(
    State(_app): State<App>,
    auth: Auth,
    Path(_path): Path<Vec<String>>,
) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::WriteFavourites)?;
    Err(ApiError::unprocessable(
        "Validation failed: reactions to announcements are not supported",
    ))
}
