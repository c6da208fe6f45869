//! Grouped notifications (`/api/v2/notifications`), the notification policy and
//! notification requests.
//!
//! Skerry does not filter notifications into requests: every policy value is `accept`, the
//! list of requests is empty, and a policy that would filter is refused (422) rather than
//! stored and ignored.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::entities::{self, AccountEntity, GroupedNotificationsEntity};
use crate::api::pagination::{PageParams, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::App;
use crate::app::notifications::{self, NotificationFilter};
use crate::model::{AccountId, NotificationKind, Scope};

#[derive(Deserialize)]
pub struct GroupedParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    exclude_types: Vec<String>,
    #[serde(default)]
    grouped_types: Option<Vec<String>>,
    account_id: Option<String>,
}

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
    Query(params): Query<GroupedParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let mut filter = NotificationFilter {
        types: kinds(&params.types),
        exclude_types: kinds(&params.exclude_types),
        from_account: None,
    };
    if let Some(account) = params.account_id {
        filter.from_account = Some(parse_id::<AccountId>(&account)?);
    }
    let grouped = match &params.grouped_types {
        Some(names) => kinds(names),
        None => NotificationKind::ALL.to_vec(),
    };
    let only_unknown = !params.types.is_empty() && filter.types.is_empty();
    let page = params.page.page(&app, Some(80));
    let groups = if only_unknown {
        Vec::new()
    } else {
        app.run(move |app| notifications::grouped(app, viewer, &filter, &grouped, page))
            .await?
    };
    let newest = groups.iter().map(|group| group.page_max_id.0).max();
    let oldest = groups.iter().map(|group| group.page_min_id.0).min();
    let headers = link_headers(&app, &uri, newest.zip(oldest));
    Ok((
        headers,
        Json(entities::grouped_notifications(&app, &groups)),
    ))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Json<GroupedNotificationsEntity>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let group = app
        .run(move |app| notifications::get_group(app, viewer, &key))
        .await?;
    Ok(Json(entities::grouped_notifications(&app, &[group])))
}

pub async fn accounts(
    State(app): State<App>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let found = app
        .run(move |app| notifications::group_accounts(app, viewer, &key))
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|view| entities::account(&app, view))
            .collect(),
    ))
}

pub async fn dismiss(
    State(app): State<App>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    app.run(move |app| notifications::dismiss_group(app, viewer, &key))
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/notifications/unread_count`: unread notifications after the marker.
pub async fn unread_count(State(app): State<App>, auth: Auth) -> Result<Json<Value>, ApiError> {
    /// Counted at most (Mastodon caps the count too).
    const UNREAD_MAX: usize = 1_000;
    let viewer = auth.user(Scope::ReadNotifications)?;
    let count = app
        .run(move |app| notifications::unread_count(app, viewer, UNREAD_MAX))
        .await?;
    Ok(Json(json!({ "count": count })))
}

fn summary() -> Value {
    json!({ "pending_requests_count": 0, "pending_notifications_count": 0 })
}

fn policy_v2() -> Value {
    json!({
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "summary": summary(),
    })
}

pub async fn policy(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Ok(Json(policy_v2()))
}

#[derive(Deserialize)]
pub struct PolicyParams {
    for_not_following: Option<String>,
    for_not_followers: Option<String>,
    for_new_accounts: Option<String>,
    for_private_mentions: Option<String>,
    for_limited_accounts: Option<String>,
}

/// `PATCH /api/v2/notifications/policy`: only `accept` is supported.
pub async fn update_policy(
    auth: Auth,
    Params(params): Params<PolicyParams>,
) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::WriteNotifications)?;
    let values = [
        params.for_not_following,
        params.for_not_followers,
        params.for_new_accounts,
        params.for_private_mentions,
        params.for_limited_accounts,
    ];
    for value in values.iter().flatten() {
        match value.as_str() {
            "accept" => {}
            "filter" | "drop" => {
                return Err(ApiError::unprocessable(
                    "Validation failed: this server does not filter notifications",
                ));
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "Validation failed: Policy is not included in the list",
                ));
            }
        }
    }
    Ok(Json(policy_v2()))
}

/// `GET /api/v1/notifications/policy`, the v1 form (booleans).
pub async fn policy_v1(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Ok(Json(json!({
        "filter_not_following": false,
        "filter_not_followers": false,
        "filter_new_accounts": false,
        "filter_private_mentions": false,
        "summary": summary(),
    })))
}

/// `GET /api/v1/notifications/requests`: none, since nothing is filtered.
pub async fn requests(auth: Auth) -> Result<Json<Vec<Value>>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Ok(Json(Vec::new()))
}

/// One request, or accepting or dismissing one: no request exists.
pub async fn request_unknown(auth: Auth, Path(_id): Path<String>) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Err(ApiError::not_found())
}

/// Accepting or dismissing several requests: there are none, so nothing changes.
pub async fn requests_bulk(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::WriteNotifications)?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/notifications/requests/merged`: nothing is ever waiting to be merged.
pub async fn requests_merged(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Ok(Json(json!({ "merged": true })))
}
