//! `/api/v1/admin/domain_allows`: list, show, create and delete domain allows, which matter
//! in `federation.allowlist_mode` (https://docs.joinmastodon.org/methods/admin/domain_allows/).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, AdminDomainAllowEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::domains;
use crate::model::Scope;

#[derive(Deserialize)]
pub struct AllowParams {
    domain: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let page = super::admin_page(&app, page);
    let allows = app
        .run(move |app| domains::list_allows(app, actor, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&allows, |allow| allow.id));
    let entities: Vec<_> = allows.iter().map(entities::admin_domain_allow).collect();
    Ok((headers, Json(entities)))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminDomainAllowEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id: u64 = parse_id(&id)?;
    let allow = app
        .run(move |app| domains::get_allow(app, actor, id))
        .await?;
    Ok(Json(entities::admin_domain_allow(&allow)))
}

/// Allowing an allowed domain answers the existing allow, as Mastodon.
pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<AllowParams>,
) -> Result<Json<AdminDomainAllowEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let domain = params.domain.unwrap_or_default();
    let (allow, _) = app
        .run(move |app| domains::allow_domain(app, actor, &domain))
        .await?;
    Ok(Json(entities::admin_domain_allow(&allow)))
}

/// Answers an empty object, as Mastodon.
pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id: u64 = parse_id(&id)?;
    app.run(move |app| domains::disallow_domain(app, actor, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}
