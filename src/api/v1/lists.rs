//! `/api/v1/lists`, their members, `/api/v1/accounts/:id/lists` and
//! `/api/v1/timelines/list/:id`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, AccountEntity, ListEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::lists::{self, ListUpdate};
use crate::app::{App, timelines};
use crate::model::{AccountId, Scope};
use crate::util::lenient;

#[derive(Deserialize)]
pub struct ListParams {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    exclusive: Option<bool>,
}

impl From<ListParams> for ListUpdate {
    fn from(params: ListParams) -> ListUpdate {
        ListUpdate {
            title: params.title,
            replies_policy: params.replies_policy,
            exclusive: params.exclusive,
        }
    }
}

pub async fn index(State(app): State<App>, auth: Auth) -> Result<Json<Vec<ListEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadLists)?;
    let found = app.run(move |app| lists::all(app, owner)).await?;
    Ok(Json(found.iter().map(entities::list).collect()))
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<ListParams>,
) -> Result<Json<ListEntity>, ApiError> {
    let owner = auth.user(Scope::WriteLists)?;
    let list = app
        .run(move |app| lists::create(app, owner, params.into()))
        .await?;
    Ok(Json(entities::list(&list)))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ListEntity>, ApiError> {
    let owner = auth.user(Scope::ReadLists)?;
    let id: u64 = parse_id(&id)?;
    let list = app.run(move |app| lists::get(app, owner, id)).await?;
    Ok(Json(entities::list(&list)))
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<ListParams>,
) -> Result<Json<ListEntity>, ApiError> {
    let owner = auth.user(Scope::WriteLists)?;
    let id: u64 = parse_id(&id)?;
    let list = app
        .run(move |app| lists::update(app, owner, id, params.into()))
        .await?;
    Ok(Json(entities::list(&list)))
}

pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let owner = auth.user(Scope::WriteLists)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| lists::delete(app, owner, id)).await?;
    Ok(Json(serde_json::json!({})))
}

/// An id as a string or a number, one or many (`account_ids[]=1`, `{"account_ids": [1]}`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Ids {
    Many(Vec<serde_json::Value>),
    One(serde_json::Value),
}

#[derive(Deserialize)]
pub struct MembersParams {
    account_ids: Option<Ids>,
}

/// Accounts added or removed in one call.
const MEMBERS_PER_CALL_MAX: usize = 100;

fn account_ids(params: MembersParams) -> Result<Vec<AccountId>, ApiError> {
    let values = match params.account_ids {
        None => Vec::new(),
        Some(Ids::One(value)) => vec![value],
        Some(Ids::Many(values)) => values,
    };
    if values.len() > MEMBERS_PER_CALL_MAX {
        return Err(ApiError::unprocessable(format!(
            "Validation failed: at most {MEMBERS_PER_CALL_MAX} accounts at a time"
        )));
    }
    values
        .iter()
        .map(|value| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            text.parse().map_err(|_| ApiError::not_found())
        })
        .collect()
}

pub async fn accounts(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadLists)?;
    let id: u64 = parse_id(&id)?;
    let members = app.run(move |app| lists::members(app, owner, id)).await?;
    Ok(Json(
        members
            .iter()
            .map(|view| entities::account(&app, view))
            .collect(),
    ))
}

pub async fn add_accounts(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<MembersParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let owner = auth.user(Scope::WriteLists)?;
    let id: u64 = parse_id(&id)?;
    let ids = account_ids(params)?;
    app.run(move |app| lists::add_members(app, owner, id, &ids))
        .await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn remove_accounts(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<MembersParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let owner = auth.user(Scope::WriteLists)?;
    let id: u64 = parse_id(&id)?;
    let ids = account_ids(params)?;
    app.run(move |app| lists::remove_members(app, owner, id, &ids))
        .await?;
    Ok(Json(serde_json::json!({})))
}

/// `GET /api/v1/accounts/:id/lists`: the caller's lists that contain the account.
pub async fn of_account(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<ListEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadLists)?;
    let account: AccountId = parse_id(&id)?;
    let found = app
        .run(move |app| lists::containing(app, owner, account))
        .await?;
    Ok(Json(found.iter().map(entities::list).collect()))
}

pub async fn timeline(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let owner = auth.user(Scope::ReadLists)?;
    let id: u64 = parse_id(&id)?;
    let page = page.page(&app, None);
    let views = app
        .run(move |app| timelines::list(app, owner, id, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&views, |view| view.status.id.0));
    Ok((
        headers,
        Json(
            views
                .iter()
                .map(|view| entities::status(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}
