//! `/api/v1/scheduled_statuses`: list, get, reschedule, cancel. Statuses are scheduled by
//! `POST /api/v1/statuses` with `scheduled_at`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, ScheduledStatusEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::{App, scheduled};
use crate::model::Scope;

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let owner = auth.user(Scope::ReadStatuses)?;
    let page = page.page(&app, None);
    let listed = app
        .run(move |app| scheduled::list(app, owner, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |found| found.id));
    Ok((
        headers,
        Json(
            listed
                .iter()
                .map(entities::scheduled_status)
                .collect::<Vec<_>>(),
        ),
    ))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ScheduledStatusEntity>, ApiError> {
    let owner = auth.user(Scope::ReadStatuses)?;
    let id: u64 = parse_id(&id)?;
    let found = app.run(move |app| scheduled::get(app, owner, id)).await?;
    Ok(Json(entities::scheduled_status(&found)))
}

#[derive(Deserialize)]
pub struct Reschedule {
    scheduled_at: Option<String>,
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<Reschedule>,
) -> Result<Json<ScheduledStatusEntity>, ApiError> {
    let owner = auth.user(Scope::WriteStatuses)?;
    let id: u64 = parse_id(&id)?;
    let at = params
        .scheduled_at
        .as_deref()
        .and_then(crate::util::time::parse_iso8601_ms)
        .ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Scheduled at is not a valid time")
        })?;
    let found = app
        .run(move |app| scheduled::reschedule(app, owner, id, at))
        .await?;
    Ok(Json(entities::scheduled_status(&found)))
}

pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let owner = auth.user(Scope::WriteStatuses)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| scheduled::delete(app, owner, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}
