//! Finding accounts and posts: suggestions (v1 and v2), the directory, familiar followers,
//! endorsements, and trends (tags, statuses, links).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, AccountEntity, FamiliarFollowersEntity, SuggestionEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, MaybeAuth, Params, Query, parse_id};
use crate::app::discovery::{self, DirectoryOrder};
use crate::app::relationships::{self, AccountList};
use crate::app::{App, tags};
use crate::model::{AccountId, Scope};
use crate::util::lenient;

/// Suggestions per answer at most (Mastodon: 80).
const SUGGESTIONS_MAX: usize = 80;
/// Entries of one trends answer at most (Mastodon: 20).
const TRENDS_MAX: usize = 20;
/// Accounts of one directory answer at most (Mastodon: 80).
const DIRECTORY_MAX: usize = 80;
/// Offset into the directory or trends at most: they are computed from bounded scans.
const OFFSET_MAX: usize = 10_000;
/// Accounts asked about in one familiar-followers request.
const FAMILIAR_IDS_MAX: usize = 40;

#[derive(Deserialize)]
pub struct LimitParams {
    #[serde(default, deserialize_with = "lenient::option_u64")]
    limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    offset: Option<u64>,
}

impl LimitParams {
    fn limit(&self, default: usize, max: usize) -> usize {
        self.limit
            .map_or(default, |limit| (limit as usize).clamp(1, max))
    }

    fn offset(&self) -> usize {
        self.offset
            .map_or(0, |offset| (offset as usize).min(OFFSET_MAX))
    }
}

pub async fn suggestions_v1(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<LimitParams>,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let limit = params.limit(40, SUGGESTIONS_MAX);
    let found = app
        .run(move |app| discovery::suggestions(app, viewer, limit))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|(_, view)| entities::account(&app, view))
            .collect(),
    ))
}

pub async fn suggestions_v2(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<LimitParams>,
) -> Result<Json<Vec<SuggestionEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let limit = params.limit(40, SUGGESTIONS_MAX);
    let found = app
        .run(move |app| discovery::suggestions(app, viewer, limit))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|(source, view)| entities::suggestion(&app, *source, view))
            .collect(),
    ))
}

pub async fn dismiss_suggestion(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let id: AccountId = parse_id(&id)?;
    app.run(move |app| discovery::dismiss_suggestion(app, viewer, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

#[derive(Deserialize)]
pub struct DirectoryParams {
    #[serde(flatten)]
    range: LimitParams,
    order: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    local: Option<bool>,
}

pub async fn directory(
    State(app): State<App>,
    auth: MaybeAuth,
    Query(params): Query<DirectoryParams>,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    let order = match params.order.as_deref() {
        None | Some("active") => DirectoryOrder::Active,
        Some("new") => DirectoryOrder::New,
        Some(_) => return Err(ApiError::bad_request("order must be active or new")),
    };
    let (offset, limit) = (params.range.offset(), params.range.limit(40, DIRECTORY_MAX));
    let local = params.local.unwrap_or(false);
    let found = app
        .run(move |app| discovery::directory(app, order, local, offset, limit))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|view| entities::account(&app, view))
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct FamiliarParams {
    #[serde(default)]
    id: IdList,
}

/// `id[]=1&id[]=2` (a list) or `id=1` (one).
#[derive(Deserialize)]
#[serde(untagged)]
enum IdList {
    Many(Vec<String>),
    One(String),
}

impl Default for IdList {
    fn default() -> Self {
        IdList::Many(Vec::new())
    }
}

pub async fn familiar_followers(
    State(app): State<App>,
    auth: Auth,
    // Mastodon.py sends the ids of this GET as a JSON body; Rails merges body and query.
    Params(params): Params<FamiliarParams>,
) -> Result<Json<Vec<FamiliarFollowersEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadFollows)?;
    let ids = match params.id {
        IdList::Many(ids) => ids,
        IdList::One(id) => vec![id],
    };
    let ids: Vec<AccountId> = ids
        .iter()
        .take(FAMILIAR_IDS_MAX)
        .filter_map(|id| id.parse().ok())
        .collect();
    let found = app
        .run(move |app| discovery::familiar_followers(app, viewer, ids))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|(id, accounts)| FamiliarFollowersEntity {
                id: id.to_string(),
                accounts: accounts
                    .iter()
                    .map(|view| entities::account(&app, view))
                    .collect(),
            })
            .collect(),
    ))
}

async fn endorsements_of(
    app: App,
    account: AccountId,
    uri: axum::http::Uri,
    page: PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let page = page.page(&app, Some(80));
    let listed = app
        .run(move |app| relationships::list(app, AccountList::Endorsements(account), page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(id, _)| *id));
    Ok((
        headers,
        Json(
            listed
                .iter()
                .map(|(_, view)| entities::account(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

/// `GET /api/v1/endorsements`: the accounts the viewer endorses.
pub async fn endorsements(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    endorsements_of(app, viewer, uri, page).await
}

/// `GET /api/v1/accounts/:id/endorsements` (Mastodon 4.4): the accounts an account endorses.
pub async fn endorsements_of_account(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    let id: AccountId = parse_id(&id)?;
    endorsements_of(app, id, uri, page).await
}

pub async fn trending_tags(
    State(app): State<App>,
    Query(params): Query<LimitParams>,
) -> Result<Json<Vec<entities::TagEntity>>, ApiError> {
    let (limit, offset) = (params.limit(10, TRENDS_MAX), params.offset());
    let found = app
        .run(move |app| {
            let names = discovery::trending_tags(app, limit, offset)?;
            names
                .iter()
                .map(|name| tags::get(app, None, name))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|view| entities::tag_view(&app, view))
            .collect(),
    ))
}

pub async fn trending_statuses(
    State(app): State<App>,
    auth: MaybeAuth,
    Query(params): Query<LimitParams>,
) -> Result<Json<Vec<entities::StatusEntity>>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let (limit, offset) = (params.limit(20, TRENDS_MAX * 2), params.offset());
    let found = app
        .run(move |app| discovery::trending_statuses(app, viewer, limit, offset))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|view| entities::status(&app, view))
            .collect(),
    ))
}

pub async fn trending_links(
    State(app): State<App>,
    Query(params): Query<LimitParams>,
) -> Result<Json<Vec<entities::TrendsLinkEntity>>, ApiError> {
    let (limit, offset) = (params.limit(10, TRENDS_MAX), params.offset());
    let found = app
        .run(move |app| discovery::trending_links(app, limit, offset))
        .await?;
    Ok(Json(found.iter().map(entities::trends_link).collect()))
}
