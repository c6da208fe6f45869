//! Grouped notifications (`/api/v2/notifications`), the notification policy and
//! notification requests.
//!
//! The policy accepts, filters or drops per condition (`app::notifications`); filtered
//! notifications wait in requests, one per sender, until accepted or dismissed.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::entities::{self, AccountEntity, GroupedNotificationsEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::App;
use crate::app::notifications::{self, NotificationFilter, PolicyChanges, PolicyView};
use crate::model::{AccountId, NotificationKind, PolicyAction, Scope};
use crate::util::lenient;

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
    #[serde(default, deserialize_with = "lenient::option_bool")]
    include_filtered: Option<bool>,
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
        include_filtered: params.include_filtered.unwrap_or(false),
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

/// Request ids in one bulk accept or dismiss.
const REQUEST_IDS_MAX: usize = 100;

fn summary(view: &PolicyView) -> Value {
    json!({
        "pending_requests_count": view.pending_requests,
        "pending_notifications_count": view.pending_notifications,
    })
}

fn policy_v2(view: &PolicyView) -> Value {
    let policy = &view.policy;
    json!({
        "for_not_following": policy.for_not_following.name(),
        "for_not_followers": policy.for_not_followers.name(),
        "for_new_accounts": policy.for_new_accounts.name(),
        "for_private_mentions": policy.for_private_mentions.name(),
        "for_limited_accounts": policy.for_limited_accounts.name(),
        "summary": summary(view),
    })
}

pub async fn policy(State(app): State<App>, auth: Auth) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let view = app
        .run(move |app| notifications::policy(app, viewer))
        .await?;
    Ok(Json(policy_v2(&view)))
}

#[derive(Deserialize)]
pub struct PolicyParams {
    for_not_following: Option<String>,
    for_not_followers: Option<String>,
    for_new_accounts: Option<String>,
    for_private_mentions: Option<String>,
    for_limited_accounts: Option<String>,
}

fn action(value: Option<String>) -> Result<Option<PolicyAction>, ApiError> {
    value
        .map(|value| {
            PolicyAction::parse(&value).ok_or_else(|| {
                ApiError::unprocessable("Validation failed: Policy is not included in the list")
            })
        })
        .transpose()
}

/// `PATCH /api/v2/notifications/policy`: `accept`, `filter` or `drop` per condition.
pub async fn update_policy(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<PolicyParams>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let changes = PolicyChanges {
        for_not_following: action(params.for_not_following)?,
        for_not_followers: action(params.for_not_followers)?,
        for_new_accounts: action(params.for_new_accounts)?,
        for_private_mentions: action(params.for_private_mentions)?,
        for_limited_accounts: action(params.for_limited_accounts)?,
    };
    let view = app
        .run(move |app| notifications::update_policy(app, viewer, changes))
        .await?;
    Ok(Json(policy_v2(&view)))
}

fn policy_v1_json(view: &PolicyView) -> Value {
    let policy = &view.policy;
    let on = |action: PolicyAction| action != PolicyAction::Accept;
    json!({
        "filter_not_following": on(policy.for_not_following),
        "filter_not_followers": on(policy.for_not_followers),
        "filter_new_accounts": on(policy.for_new_accounts),
        "filter_private_mentions": on(policy.for_private_mentions),
        "summary": summary(view),
    })
}

/// `GET /api/v1/notifications/policy`, the v1 form (booleans: anything but `accept` is on).
pub async fn policy_v1(State(app): State<App>, auth: Auth) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let view = app
        .run(move |app| notifications::policy(app, viewer))
        .await?;
    Ok(Json(policy_v1_json(&view)))
}

#[derive(Deserialize)]
pub struct PolicyV1Params {
    #[serde(default, deserialize_with = "lenient::option_bool")]
    filter_not_following: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    filter_not_followers: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    filter_new_accounts: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    filter_private_mentions: Option<bool>,
}

/// `PUT /api/v1/notifications/policy`: `true` filters, `false` accepts.
pub async fn update_policy_v1(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<PolicyV1Params>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let to_action = |on: Option<bool>| {
        on.map(|on| {
            if on {
                PolicyAction::Filter
            } else {
                PolicyAction::Accept
            }
        })
    };
    let changes = PolicyChanges {
        for_not_following: to_action(params.filter_not_following),
        for_not_followers: to_action(params.filter_not_followers),
        for_new_accounts: to_action(params.filter_new_accounts),
        for_private_mentions: to_action(params.filter_private_mentions),
        for_limited_accounts: None,
    };
    let view = app
        .run(move |app| notifications::update_policy(app, viewer, changes))
        .await?;
    Ok(Json(policy_v1_json(&view)))
}

/// `GET /api/v1/notifications/requests`, newest first.
pub async fn requests(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let page = params.page(&app, Some(80));
    let views = app
        .run(move |app| notifications::requests(app, viewer, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&views, |view| view.request.id));
    Ok((
        headers,
        Json(
            views
                .iter()
                .map(|view| entities::notification_request(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

pub async fn request(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<entities::NotificationRequestEntity>, ApiError> {
    let viewer = auth.user(Scope::ReadNotifications)?;
    let id: u64 = parse_id(&id)?;
    let view = app
        .run(move |app| notifications::request(app, viewer, id))
        .await?;
    Ok(Json(entities::notification_request(&app, &view)))
}

pub async fn accept_request(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| notifications::accept_requests(app, viewer, &[id], true))
        .await?;
    Ok(Json(json!({})))
}

pub async fn dismiss_request(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| notifications::dismiss_requests(app, viewer, &[id], true))
        .await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct BulkParams {
    #[serde(default)]
    id: Vec<String>,
}

fn bulk_ids(params: BulkParams) -> Result<Vec<u64>, ApiError> {
    if params.id.len() > REQUEST_IDS_MAX {
        return Err(ApiError::unprocessable(format!(
            "At most {REQUEST_IDS_MAX} requests at once"
        )));
    }
    // Unknown or malformed ids are skipped, as Mastodon's bulk actions do.
    Ok(params.id.iter().filter_map(|id| id.parse().ok()).collect())
}

/// `POST /api/v1/notifications/requests/accept` with `id[]`.
pub async fn accept_requests(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<BulkParams>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let ids = bulk_ids(params)?;
    app.run(move |app| notifications::accept_requests(app, viewer, &ids, false))
        .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/requests/dismiss` with `id[]`.
pub async fn dismiss_requests(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<BulkParams>,
) -> Result<Json<Value>, ApiError> {
    let viewer = auth.user(Scope::WriteNotifications)?;
    let ids = bulk_ids(params)?;
    app.run(move |app| notifications::dismiss_requests(app, viewer, &ids, false))
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/notifications/requests/merged`: accepting merges in its own transaction, so
/// by the time a client asks, it is done.
pub async fn requests_merged(auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user(Scope::ReadNotifications)?;
    Ok(Json(json!({ "merged": true })))
}
