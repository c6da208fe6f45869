//! `/api/v1/accounts/...`: credentials, profiles, statuses, relationships and the lists of
//! followers, following, blocks and mutes.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, AccountEntity, RelationshipEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, MaybeAuth, Params, Query, parse_id};
use crate::app::accounts::ProfileUpdate;
use crate::app::relationships::{self, AccountList};
use crate::app::timelines::{self, AccountFilter};
use crate::app::{App, accounts};
use crate::model::{AccountId, Scope, Visibility};
use crate::util::lenient;

pub async fn verify_credentials(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<AccountEntity>, ApiError> {
    auth.require_any(&[Scope::ReadAccounts, Scope::Profile])?;
    let id = auth.account()?;
    let (view, user) = app.run(move |app| accounts::credentials(app, id)).await?;
    Ok(Json(entities::credential_account(&app, &view, &user)))
}

#[derive(Deserialize)]
pub struct UpdateCredentials {
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    indexable: Option<bool>,
    fields_attributes: Option<FieldsAttributes>,
    source: Option<SourceParams>,
}

/// A list (JSON) or an object keyed by index (forms: `fields_attributes[0][name]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum FieldsAttributes {
    List(Vec<FieldParams>),
    Indexed(BTreeMap<String, FieldParams>),
}

#[derive(Deserialize)]
struct FieldParams {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct SourceParams {
    privacy: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
}

pub async fn update_credentials(
    State(app): State<App>,
    auth: Auth,
    crate::api::ParamsWithFiles(params, files): crate::api::ParamsWithFiles<UpdateCredentials>,
) -> Result<Json<AccountEntity>, ApiError> {
    let id = auth.user(Scope::WriteAccounts)?;
    // Avatar and header files are processed (and stored) first; a refused image fails the
    // whole update before any of it is written.
    let (mut avatar, mut header) = (None, None);
    for (name, bytes) in files {
        let slot = match name.as_str() {
            "avatar" => &mut avatar,
            "header" => &mut header,
            _ => continue,
        };
        *slot = Some(crate::app::media::upload_profile_image(&app, id, bytes).await?);
    }
    let fields = params.fields_attributes.map(|fields| {
        let list = match fields {
            FieldsAttributes::List(list) => list,
            FieldsAttributes::Indexed(map) => {
                let mut entries: Vec<(u64, FieldParams)> = map
                    .into_iter()
                    .map(|(index, field)| (index.parse().unwrap_or(u64::MAX), field))
                    .collect();
                entries.sort_by_key(|(index, _)| *index);
                entries.into_iter().map(|(_, field)| field).collect()
            }
        };
        list.into_iter()
            .map(|field| (field.name, field.value))
            .collect()
    });
    let (privacy, sensitive, language) = match params.source {
        Some(source) => (source.privacy, source.sensitive, source.language),
        None => (None, None, None),
    };
    let default_visibility = match privacy.as_deref() {
        None => None,
        Some(name) => Some(Visibility::parse(name).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Privacy is not included in the list")
        })?),
    };
    let update = ProfileUpdate {
        display_name: params.display_name,
        note: params.note,
        locked: params.locked,
        bot: params.bot,
        discoverable: params.discoverable,
        indexable: params.indexable,
        fields,
        default_visibility,
        default_sensitive: sensitive,
        default_language: language,
        avatar,
        header,
    };
    let (view, user) = app
        .run(move |app| accounts::update_profile(app, id, update))
        .await?;
    Ok(Json(entities::credential_account(&app, &view, &user)))
}

pub async fn get(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<AccountEntity>, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    let id: AccountId = parse_id(&id)?;
    let view = app.run(move |app| accounts::get(app, id)).await?;
    Ok(Json(entities::account(&app, &view)))
}

#[derive(Deserialize)]
pub struct LookupParams {
    acct: Option<String>,
}

pub async fn lookup(
    State(app): State<App>,
    Query(params): Query<LookupParams>,
) -> Result<Json<AccountEntity>, ApiError> {
    let acct = params.acct.ok_or_else(ApiError::not_found)?;
    let view = app.run(move |app| accounts::lookup(app, &acct)).await?;
    Ok(Json(entities::account(&app, &view)))
}

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    limit: Option<u64>,
}

pub async fn search(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    auth.require_any(&[Scope::ReadAccounts])?;
    let limit = params.limit.map_or(40, |limit| limit.clamp(1, 80) as usize);
    let viewer = auth.caller.account_id;
    let results = app
        .run(move |app| {
            crate::app::search::search(
                app,
                viewer,
                &params.q,
                Some(crate::app::search::Kind::Accounts),
                limit,
            )
        })
        .await?;
    Ok(Json(
        results
            .accounts
            .iter()
            .map(|view| entities::account(&app, view))
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct StatusesParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    pinned: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    exclude_replies: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    exclude_reblogs: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    only_media: Option<bool>,
    tagged: Option<String>,
}

pub async fn statuses(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(params): Query<StatusesParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: AccountId = parse_id(&id)?;
    let page = params.page.page(&app, None);
    let filter = AccountFilter {
        pinned: params.pinned.unwrap_or(false),
        exclude_replies: params.exclude_replies.unwrap_or(false),
        exclude_reblogs: params.exclude_reblogs.unwrap_or(false),
        only_media: params.only_media.unwrap_or(false),
        tagged: params.tagged.is_some(),
    };
    let tagged = params.tagged;
    let views = app
        .run(move |app| timelines::account(app, viewer, id, filter, tagged.as_deref(), page))
        .await?;
    let headers = if filter.pinned {
        Default::default()
    } else {
        link_headers(&app, &uri, bounds(&views, |view| view.status.id.0))
    };
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

/// `GET /api/v1/accounts/:id/followers` and `following`, and `/api/v1/blocks`, `/mutes`.
async fn account_list(
    app: App,
    uri: axum::http::Uri,
    list: AccountList,
    page: PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let page = page.page(&app, Some(80));
    let listed = app
        .run(move |app| relationships::list(app, list, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(edge_id, _)| *edge_id));
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

pub async fn followers(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    account_list(app, uri, AccountList::Followers(parse_id(&id)?), page).await
}

pub async fn following(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    auth.viewer(Scope::ReadAccounts)?;
    account_list(app, uri, AccountList::Following(parse_id(&id)?), page).await
}

pub async fn blocks(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadBlocks)?;
    account_list(app, uri, AccountList::Blocks(viewer), page).await
}

pub async fn mutes(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadMutes)?;
    account_list(app, uri, AccountList::Mutes(viewer), page).await
}

#[derive(Deserialize)]
pub struct RelationshipsParams {
    #[serde(default)]
    id: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Accounts asked about in one `relationships` call (Mastodon does not cap it; we do).
const RELATIONSHIPS_MAX: usize = 80;

pub async fn relationships(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<RelationshipsParams>,
) -> Result<Json<Vec<RelationshipEntity>>, ApiError> {
    let viewer = auth.user(Scope::ReadFollows)?;
    let ids: Vec<AccountId> = match params.id {
        None => Vec::new(),
        Some(OneOrMany::One(id)) => vec![id],
        Some(OneOrMany::Many(ids)) => ids,
    }
    .iter()
    .take(RELATIONSHIPS_MAX)
    .filter_map(|id| id.parse().ok())
    .collect();
    let views = app
        .run(move |app| relationships::relationships(app, viewer, &ids))
        .await?;
    Ok(Json(views.iter().map(entities::relationship).collect()))
}

#[derive(Deserialize, Default)]
pub struct MuteParams {
    #[serde(default, deserialize_with = "lenient::option_bool")]
    notifications: Option<bool>,
}

/// One relationship change: follow, unfollow, block, unblock, mute, unmute.
#[derive(Clone, Copy)]
enum Change {
    Follow,
    Unfollow,
    Block,
    Unblock,
    Mute { notifications: bool },
    Unmute,
}

async fn change(
    app: App,
    auth: Auth,
    id: String,
    change: Change,
) -> Result<Json<RelationshipEntity>, ApiError> {
    let scope = match change {
        Change::Follow | Change::Unfollow => Scope::WriteFollows,
        Change::Block | Change::Unblock => Scope::WriteBlocks,
        Change::Mute { .. } | Change::Unmute => Scope::WriteMutes,
    };
    let viewer = auth.user(scope)?;
    let target: AccountId = parse_id(&id)?;
    let view = app
        .run(move |app| match change {
            Change::Follow => relationships::follow(app, viewer, target),
            Change::Unfollow => relationships::unfollow(app, viewer, target),
            Change::Block => relationships::block(app, viewer, target),
            Change::Unblock => relationships::unblock(app, viewer, target),
            Change::Mute { notifications } => {
                relationships::mute(app, viewer, target, notifications)
            }
            Change::Unmute => relationships::unmute(app, viewer, target),
        })
        .await?;
    Ok(Json(entities::relationship(&view)))
}

macro_rules! change_handler {
    ($($name:ident => $change:expr;)*) => {$(
        pub async fn $name(
            State(app): State<App>,
            auth: Auth,
            Path(id): Path<String>,
        ) -> Result<Json<RelationshipEntity>, ApiError> {
            change(app, auth, id, $change).await
        }
    )*};
}

change_handler! {
    follow => Change::Follow;
    unfollow => Change::Unfollow;
    block => Change::Block;
    unblock => Change::Unblock;
    unmute => Change::Unmute;
}

pub async fn mute(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<MuteParams>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    change(
        app,
        auth,
        id,
        Change::Mute {
            notifications: params.notifications.unwrap_or(true),
        },
    )
    .await
}

pub async fn follow_requests(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadFollows)?;
    let page = page.page(&app, Some(80));
    let listed = app
        .run(move |app| relationships::follow_requests(app, viewer, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(request_id, _)| *request_id));
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

async fn answer(
    app: App,
    auth: Auth,
    id: String,
    accept: bool,
) -> Result<Json<RelationshipEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteFollows)?;
    let requester: AccountId = parse_id(&id)?;
    let view = app
        .run(move |app| relationships::answer_follow_request(app, viewer, requester, accept))
        .await?;
    Ok(Json(entities::relationship(&view)))
}

pub async fn authorize_follow_request(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    answer(app, auth, id, true).await
}

pub async fn reject_follow_request(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    answer(app, auth, id, false).await
}

#[derive(Deserialize)]
pub struct NoteParams {
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/accounts/:id/note`: the viewer's private note on an account.
pub async fn note(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<NoteParams>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteAccounts)?;
    let id: AccountId = parse_id(&id)?;
    let view = app
        .run(move |app| relationships::set_note(app, viewer, id, &params.comment))
        .await?;
    Ok(Json(entities::relationship(&view)))
}

async fn endorse_as(
    app: App,
    auth: Auth,
    id: String,
    endorse: bool,
) -> Result<Json<RelationshipEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteAccounts)?;
    let id: AccountId = parse_id(&id)?;
    let view = app
        .run(move |app| relationships::endorse(app, viewer, id, endorse))
        .await?;
    Ok(Json(entities::relationship(&view)))
}

/// `POST /api/v1/accounts/:id/remove_from_followers`.
pub async fn remove_from_followers(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteFollows)?;
    let id: AccountId = parse_id(&id)?;
    let view = app
        .run(move |app| relationships::remove_from_followers(app, viewer, id))
        .await?;
    Ok(Json(entities::relationship(&view)))
}

/// `POST /api/v1/accounts/:id/endorse` (and the older `pin`).
pub async fn endorse(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    endorse_as(app, auth, id, true).await
}

/// `POST /api/v1/accounts/:id/unendorse` (and the older `unpin`).
pub async fn unendorse(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    endorse_as(app, auth, id, false).await
}
