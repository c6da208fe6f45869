//! `/api/v1/admin/domain_blocks`: list, show, create, update and delete domain blocks
//! (https://docs.joinmastodon.org/methods/admin/domain_blocks/).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, AdminDomainBlockEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::domains::{self, BlockInput, BlockUpdate};
use crate::model::{Scope, Severity};
use crate::util::lenient;

/// Parameters of create and update; `domain` only counts on create.
#[derive(Deserialize)]
pub struct BlockParams {
    domain: Option<String>,
    severity: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    reject_media: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    reject_reports: Option<bool>,
    private_comment: Option<String>,
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    obfuscate: Option<bool>,
}

fn severity(name: Option<&str>) -> Result<Option<Severity>, ApiError> {
    match name {
        None => Ok(None),
        Some(name) => Severity::parse(name).map(Some).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Severity is not included in the list")
        }),
    }
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let page = super::admin_page(&app, page);
    let blocks = app
        .run(move |app| domains::list_blocks(app, actor, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&blocks, |block| block.id));
    let entities: Vec<_> = blocks.iter().map(entities::admin_domain_block).collect();
    Ok((headers, Json(entities)))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminDomainBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id: u64 = parse_id(&id)?;
    let block = app
        .run(move |app| domains::get_block(app, actor, id))
        .await?;
    Ok(Json(entities::admin_domain_block(&block)))
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<BlockParams>,
) -> Result<Json<AdminDomainBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let input = BlockInput {
        domain: params.domain.unwrap_or_default(),
        // Mastodon's default severity is `silence`.
        severity: severity(params.severity.as_deref())?.unwrap_or(Severity::Silence),
        reject_media: params.reject_media.unwrap_or(false),
        reject_reports: params.reject_reports.unwrap_or(false),
        private_comment: params.private_comment.unwrap_or_default(),
        public_comment: params.public_comment.unwrap_or_default(),
        obfuscate: params.obfuscate.unwrap_or(false),
    };
    let block = app
        .run(move |app| domains::block_domain(app, actor, input))
        .await?;
    Ok(Json(entities::admin_domain_block(&block)))
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<BlockParams>,
) -> Result<Json<AdminDomainBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id: u64 = parse_id(&id)?;
    let update = BlockUpdate {
        severity: severity(params.severity.as_deref())?,
        reject_media: params.reject_media,
        reject_reports: params.reject_reports,
        private_comment: params.private_comment,
        public_comment: params.public_comment,
        obfuscate: params.obfuscate,
    };
    let block = app
        .run(move |app| domains::update_block(app, actor, id, update))
        .await?;
    Ok(Json(entities::admin_domain_block(&block)))
}

/// Answers an empty object, as Mastodon.
pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id: u64 = parse_id(&id)?;
    app.run(move |app| domains::unblock_domain(app, actor, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}
