//! `/api/v1/notifications`: list with type filters, get, dismiss, clear, unread count.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, NotificationEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Query, parse_id};
use crate::app::App;
use crate::app::notifications::{self, NotificationFilter};
use crate::model::{AccountId, NotificationId, NotificationKind, Scope};
use crate::util::lenient;

/// Notifications counted by `unread_count` at most (Mastodon caps it too).
const UNREAD_COUNT_MAX: usize = 1_000;

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    exclude_types: Vec<String>,
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    include_filtered: Option<bool>,
}

/// Unknown type names are ignored, as Mastodon does, so newer clients keep working.
fn kinds(names: &[String]) -> Vec<NotificationKind> {
    names
        .iter()
        .filter_map(|name| NotificationKind::parse(name))
        .collect()
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let mut filter = NotificationFilter {
        types: kinds(&params.types),
        exclude_types: kinds(&params.exclude_types),
        from_account: None,
        include_filtered: params.include_filtered.unwrap_or(false),
    };
    if !params.types.is_empty() && filter.types.is_empty() {
        // Only unknown types were asked for: nothing matches.
        return Ok((Default::default(), Json(Vec::new())));
    }
    if let Some(account) = params.account_id {
        filter.from_account = Some(parse_id::<AccountId>(&account)?);
    }
    let page = params.page.page(&app, Some(80));
    let views = app
        .run(move |app| notifications::list(app, viewer, &filter, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&views, |view| view.notification.id.0));
    Ok((
        headers,
        Json(
            views
                .iter()
                .map(|view| entities::notification(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<NotificationEntity>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let id: NotificationId = parse_id(&id)?;
    let view = app
        .run(move |app| notifications::get(app, viewer, id))
        .await?;
    Ok(Json(entities::notification(&app, &view)))
}

pub async fn dismiss(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let id: NotificationId = parse_id(&id)?;
    app.run(move |app| notifications::dismiss(app, viewer, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn clear(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    app.run(move |app| notifications::clear(app, viewer))
        .await?;
    Ok(Json(serde_json::json!({})))
}

#[derive(Deserialize)]
pub struct UnreadParams {
    #[serde(default, deserialize_with = "lenient::option_u64")]
    limit: Option<u64>,
}

pub async fn unread_count(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<UnreadParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let max = params
        .limit
        .map_or(100, |limit| (limit as usize).clamp(1, UNREAD_COUNT_MAX));
    let count = app
        .run(move |app| notifications::unread_count(app, viewer, max))
        .await?;
    Ok(Json(serde_json::json!({ "count": count })))
}
