//! `/api/v1/domain_blocks`: the domains a user blocks for themselves.

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query};
use crate::app::{App, domain_blocks};
use crate::model::Scope;

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadBlocks)?;
    let page = page.page(&app, Some(200));
    let listed = app
        .run(move |app| domain_blocks::list(app, viewer, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(id, _)| *id));
    Ok((
        headers,
        Json(
            listed
                .into_iter()
                .map(|(_, domain)| domain)
                .collect::<Vec<_>>(),
        ),
    ))
}

#[derive(Deserialize)]
pub struct DomainParams {
    domain: Option<String>,
}

async fn change(
    app: App,
    auth: Auth,
    domain: Option<String>,
    block: bool,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteBlocks)?;
    let domain = domain
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Domain can't be blank"))?;
    app.run(move |app| {
        if block {
            domain_blocks::block(app, viewer, &domain)
        } else {
            domain_blocks::unblock(app, viewer, &domain)
        }
    })
    .await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn block(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<DomainParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    change(app, auth, params.domain, true).await
}

/// `DELETE` with the domain in the body or the query (both are sent by clients).
pub async fn unblock(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<DomainParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    change(app, auth, params.domain, false).await
}
