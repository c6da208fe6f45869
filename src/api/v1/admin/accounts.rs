//! `/api/v1/admin/accounts` and `/api/v2/admin/accounts`: list and show accounts with what
//! staff see, act on them (warn, mark sensitive, disable, silence, suspend), undo those
//! actions, approve or reject sign-ups (https://docs.joinmastodon.org/methods/admin/accounts/).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::entities::{self, AdminAccountEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query, parse_id};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::moderation::{self, AccountFilter, AccountStatus, ActionKind, Reversal};
use crate::model::{AccountId, Scope};
use crate::util::lenient;

/// v1's filters: one boolean per origin and status.
#[derive(Deserialize, Default)]
pub struct V1Filters {
    #[serde(default, deserialize_with = "lenient::option_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    pending: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    sensitized: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    silenced: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    suspended: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    staff: Option<bool>,
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
}

/// v2's filters: `origin`, `status`, `permissions`.
#[derive(Deserialize, Default)]
pub struct V2Filters {
    origin: Option<String>,
    status: Option<String>,
    permissions: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
}

fn v1_filter(params: V1Filters) -> AccountFilter {
    let on = |flag: Option<bool>| flag == Some(true);
    let status = [
        (params.pending, AccountStatus::Pending),
        (params.disabled, AccountStatus::Disabled),
        (params.sensitized, AccountStatus::Sensitized),
        (params.silenced, AccountStatus::Silenced),
        (params.suspended, AccountStatus::Suspended),
        (params.active, AccountStatus::Active),
    ]
    .into_iter()
    .find(|(flag, _)| on(*flag))
    .map(|(_, status)| status);
    AccountFilter {
        local: if on(params.local) {
            Some(true)
        } else if on(params.remote) {
            Some(false)
        } else {
            None
        },
        status,
        staff: on(params.staff),
        username: params.username,
        display_name: params.display_name,
        by_domain: params.by_domain,
        email: params.email,
    }
}

fn v2_filter(params: V2Filters) -> Result<AccountFilter, ApiError> {
    let local = match params.origin.as_deref() {
        None | Some("") => None,
        Some("local") => Some(true),
        Some("remote") => Some(false),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "Validation failed: origin is invalid",
            ));
        }
    };
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some(name) => Some(
            AccountStatus::parse(name)
                .ok_or_else(|| ApiError::unprocessable("Validation failed: status is invalid"))?,
        ),
    };
    Ok(AccountFilter {
        local,
        status,
        staff: params.permissions.as_deref() == Some("staff"),
        username: params.username,
        display_name: params.display_name,
        by_domain: params.by_domain,
        email: params.email,
    })
}

async fn list(
    app: App,
    auth: Auth,
    uri: axum::http::Uri,
    page: PageParams,
    filter: AccountFilter,
) -> Result<impl IntoResponse, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let page = super::admin_page(&app, page);
    let accounts = app
        .run(move |app| moderation::list_accounts(app, actor, filter, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&accounts, |a| a.view.account.id.0));
    let entities: Vec<_> = accounts
        .iter()
        .map(|a| entities::account(&app, a))
        .collect();
    Ok((headers, Json(entities)))
}

pub async fn list_v1(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(filters): Query<V1Filters>,
) -> Result<impl IntoResponse, ApiError> {
    list(app, auth, uri, page, v1_filter(filters)).await
}

pub async fn list_v2(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(filters): Query<V2Filters>,
) -> Result<impl IntoResponse, ApiError> {
    list(app, auth, uri, page, v2_filter(filters)?).await
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminAccountEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id = AccountId(parse_id(&id)?);
    let view = app
        .run(move |app| moderation::get_account(app, actor, id))
        .await?;
    Ok(Json(entities::account(&app, &view)))
}

#[derive(Deserialize)]
pub struct ActionParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    report_id: Option<u64>,
}

/// Answers an empty object, as Mastodon.
pub async fn action(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<ActionParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = AccountId(parse_id(&id)?);
    let kind = ActionKind::parse(params.kind.as_deref().unwrap_or("none")).ok_or_else(|| {
        ApiError::unprocessable("Validation failed: Type is not included in the list")
    })?;
    let text = params.text.unwrap_or_default();
    app.run(move |app| moderation::act(app, actor, id, kind, text, params.report_id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

async fn reverse(
    app: App,
    auth: Auth,
    id: String,
    reversal: Reversal,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = AccountId(parse_id(&id)?);
    let view = app
        .run(move |app| moderation::reverse(app, actor, id, reversal))
        .await?;
    Ok(Json(match view {
        Some(view) => serde_json::to_value(entities::account(&app, &view))
            .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?,
        // Rejected: the account is gone; Mastodon answers the entity as it was, which we
        // no longer have, so an empty object.
        None => serde_json::json!({}),
    }))
}

/// Deletes a suspended account's content now (Mastodon's "permanently delete data"): the
/// purge job does it in the background.
pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminAccountEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = AccountId(parse_id(&id)?);
    let view = app
        .run(move |app| moderation::delete_content_now(app, actor, id))
        .await?;
    Ok(Json(entities::account(&app, &view)))
}

macro_rules! reversal_handlers {
    ($($name:ident => $reversal:expr;)*) => {
        $(
            pub async fn $name(
                State(app): State<App>,
                auth: Auth,
                Path(id): Path<String>,
            ) -> Result<Json<serde_json::Value>, ApiError> {
                reverse(app, auth, id, $reversal).await
            }
        )*
    };
}

reversal_handlers! {
    approve => Reversal::Approve;
    reject => Reversal::Reject;
    enable => Reversal::Enable;
    unsilence => Reversal::Unsilence;
    unsuspend => Reversal::Unsuspend;
    unsensitive => Reversal::Unsensitive;
}
