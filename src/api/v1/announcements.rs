//! `/api/v1/announcements`: the current announcements an admin published
//! (`skerry admin announcement`), dismissing them, and reactions (Unicode emoji only: a
//! custom emoji's name answers 422 as an unknown one).

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
            .map(|view| {
                let announcement = &view.announcement;
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
                    "read": view.read,
                    "mentions": [],
                    "statuses": [],
                    "tags": [],
                    "emojis": [],
                    "reactions": view.reactions.iter().map(|reaction| json!({
                        "name": reaction.name,
                        "count": reaction.count,
                        "me": reaction.me,
                    })).collect::<Vec<_>>(),
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

/// `PUT /api/v1/announcements/:id/reactions/:name`: adds the viewer's reaction.
pub async fn add_reaction(
    State(app): State<App>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteFavourites)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| announcements::react(app, viewer, id, &name, true))
        .await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/announcements/:id/reactions/:name`: removes it.
pub async fn remove_reaction(
    State(app): State<App>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteFavourites)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| announcements::react(app, viewer, id, &name, false))
        .await?;
    Ok(Json(json!({})))
}
