//! `/api/v1/admin/relays` (Skerry's own; Mastodon has relays only in its web UI): list,
//! subscribe and unsubscribe, for Admin and Owner roles.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::api::entities::{self, AdminRelayEntity};
use crate::api::{ApiError, Auth, Params, parse_id};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::relays;
use crate::model::Scope;

#[derive(Deserialize)]
pub struct RelayParams {
    /// The relay's inbox (Mastodon style) or actor (LitePub style).
    url: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<AdminRelayEntity>>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let views = app.run(move |app| relays::list(app, actor)).await?;
    Ok(Json(views.iter().map(entities::admin_relay).collect()))
}

/// Subscribing to a subscribed relay answers the existing subscription.
pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<RelayParams>,
) -> Result<Json<AdminRelayEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let url = params.url.unwrap_or_default();
    let (view, _) = app.run(move |app| relays::add(app, actor, &url)).await?;
    Ok(Json(entities::admin_relay(&view)))
}

/// Unsubscribes (an Undo of the Follow goes to the relay); answers an empty object.
pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id: u64 = parse_id(&id)?;
    app.run(move |app| relays::remove(app, actor, id)).await?;
    Ok(Json(serde_json::json!({})))
}
