//! Hashtags: `/api/v1/tags/:name` (get, follow, unfollow), `/api/v1/followed_tags`, and
//! featured tags (`/api/v1/featured_tags`, its suggestions, and an account's).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, FeaturedTagEntity, TagEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, MaybeAuth, Params, Query, parse_id};
use crate::app::{App, accounts, tags};
use crate::model::{AccountId, Scope};

pub async fn get(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(name): Path<String>,
) -> Result<Json<TagEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let view = app.run(move |app| tags::get(app, viewer, &name)).await?;
    Ok(Json(entities::tag_view(&app, &view)))
}

async fn set_follow(
    app: App,
    auth: Auth,
    name: String,
    follow: bool,
) -> Result<Json<TagEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteFollows)?;
    let view = app
        .run(move |app| tags::follow(app, viewer, &name, follow))
        .await?;
    Ok(Json(entities::tag_view(&app, &view)))
}

pub async fn follow(
    State(app): State<App>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<TagEntity>, ApiError> {
    set_follow(app, auth, name, true).await
}

pub async fn unfollow(
    State(app): State<App>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<TagEntity>, ApiError> {
    set_follow(app, auth, name, false).await
}

pub async fn followed(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadFollows)?;
    let page = page.page(&app, Some(200));
    let listed = app
        .run(move |app| tags::followed(app, viewer, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(id, _)| *id));
    Ok((
        headers,
        Json(
            listed
                .iter()
                .map(|(_, view)| entities::tag_view(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

async fn featured_of(app: &App, account: AccountId) -> Result<Vec<FeaturedTagEntity>, ApiError> {
    let (owner, featured) = app
        .run(move |app| Ok((accounts::get(app, account)?, tags::featured(app, account)?)))
        .await?;
    Ok(featured
        .iter()
        .map(|view| entities::featured_tag(app, &owner, view))
        .collect())
}

pub async fn featured(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<FeaturedTagEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    Ok(Json(featured_of(&app, viewer).await?))
}

pub async fn featured_of_account(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<FeaturedTagEntity>>, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    let id: AccountId = parse_id(&id)?;
    Ok(Json(featured_of(&app, id).await?))
}

#[derive(Deserialize)]
pub struct FeatureParams {
    name: Option<String>,
}

pub async fn feature(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<FeatureParams>,
) -> Result<Json<FeaturedTagEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteAccounts)?;
    let name = params
        .name
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Name can't be blank"))?;
    let (owner, view) = app
        .run(move |app| {
            Ok((
                accounts::get(app, viewer)?,
                tags::feature(app, viewer, &name)?,
            ))
        })
        .await?;
    Ok(Json(entities::featured_tag(&app, &owner, &view)))
}

pub async fn unfeature(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteAccounts)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| tags::unfeature(app, viewer, id)).await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn feature_suggestions(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<TagEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let found = app
        .run(move |app| tags::feature_suggestions(app, viewer))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|view| entities::tag_view(&app, view))
            .collect(),
    ))
}
