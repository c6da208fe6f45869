//! `/api/v1/statuses/...`: post, read, delete, thread context, and favourite, reblog,
//! bookmark, pin with their undos and lists.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities::{self, StatusEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, MaybeAuth, Params, Query, parse_id};
use crate::app::App;
use crate::app::statuses::{self, Actors, NewStatus};
use crate::model::{Scope, StatusId, Visibility};
use crate::util::lenient;

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]` (or the same in JSON).
#[derive(Deserialize)]
struct PollParams {
    #[serde(default)]
    options: Vec<String>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    multiple: Option<bool>,
}

#[derive(Deserialize)]
pub struct PostStatus {
    status: Option<String>,
    #[serde(default)]
    spoiler_text: Option<String>,
    visibility: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    in_reply_to_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
    #[serde(default)]
    media_ids: Option<Vec<String>>,
    #[serde(default)]
    poll: Option<serde_json::Value>,
    #[serde(default)]
    scheduled_at: Option<String>,
}

fn parse_visibility(name: Option<&str>) -> Result<Option<Visibility>, ApiError> {
    match name.filter(|name| !name.is_empty()) {
        None => Ok(None),
        Some(name) => Visibility::parse(name).map(Some).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Visibility is not included in the list")
        }),
    }
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    headers: HeaderMap,
    Params(mut params): Params<PostStatus>,
) -> Result<axum::response::Response, ApiError> {
    let author = auth.user(Scope::WriteStatuses)?;
    let media_ids = params
        .media_ids
        .take()
        .unwrap_or_default()
        .iter()
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map(crate::model::MediaId)
                .map_err(|_| ApiError::unprocessable("Validation failed: media_ids must be ids"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut scheduled_poll = None;
    let poll = match params.poll {
        Some(poll) if !poll.is_null() => {
            let poll: PollParams = serde_json::from_value(poll).map_err(|error| {
                ApiError::unprocessable(format!("Validation failed: poll: {error}"))
            })?;
            let expires_in = poll
                .expires_in
                .unwrap_or(crate::app::polls::EXPIRES_IN_SECS_MIN);
            let multiple = poll.multiple.unwrap_or(false);
            scheduled_poll = Some(crate::model::ScheduledPoll {
                options: poll.options.clone(),
                expires_in_secs: expires_in,
                multiple,
            });
            Some(crate::app::polls::new_poll(
                poll.options,
                expires_in,
                multiple,
            )?)
        }
        _ => None,
    };
    let scheduled_ms = match params.scheduled_at.as_deref().filter(|at| !at.is_empty()) {
        Some(at) => Some(crate::util::time::parse_iso8601_ms(at).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Scheduled at is not a valid time")
        })?),
        None => None,
    };
    if scheduled_ms.is_some() && !media_ids.is_empty() {
        // A scheduled status keeps its text and poll; attachments would need their uploads
        // held until it is published, which is not built.
        return Err(ApiError::unprocessable(
            "Validation failed: Scheduled statuses cannot carry media attachments yet",
        ));
    }
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|value| {
            value
                .to_str()
                .map(str::to_string)
                .map_err(|_| ApiError::bad_request("Idempotency-Key is not text"))
        })
        .transpose()?;
    let text = params.status.unwrap_or_default();
    // Mentions of accounts on other servers that we do not know yet are looked up on their
    // servers first (as Mastodon does), so that the post mentions and reaches them.
    /// Unknown remote mentions looked up per post, all within one resolve wait.
    const MENTION_LOOKUPS_MAX: usize = 5;
    let accts = crate::app::text::remote_mentions(&text, &app.config.server.host);
    let lookups = async {
        for acct in accts.into_iter().take(MENTION_LOOKUPS_MAX) {
            let lookup = acct.clone();
            let known = app
                .run(move |app| Ok(crate::app::accounts::lookup(app, &lookup).is_ok()))
                .await;
            if matches!(known, Ok(false)) {
                let _ = app.resolve_account(&acct).await;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), lookups).await;
    let new = NewStatus {
        text,
        spoiler_text: params.spoiler_text.unwrap_or_default(),
        visibility: parse_visibility(params.visibility.as_deref())?,
        in_reply_to_id: params.in_reply_to_id.map(StatusId),
        sensitive: params.sensitive,
        language: params.language.filter(|language| !language.is_empty()),
        idempotency_key,
        application_id: auth.token.app_id,
        poll,
        scheduled: None,
        media_ids,
    };
    if let Some(scheduled_ms) = scheduled_ms {
        let scheduled = app
            .run(move |app| {
                crate::app::scheduled::create(app, author, new, scheduled_poll, scheduled_ms)
            })
            .await?;
        return Ok(Json(entities::scheduled_status(&scheduled)).into_response());
    }
    let view = app.run(move |app| statuses::post(app, author, new)).await?;
    Ok(Json(entities::status(&app, &view)).into_response())
}

pub async fn get(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<StatusEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let view = app.run(move |app| statuses::get(app, viewer, id)).await?;
    Ok(Json(entities::status(&app, &view)))
}

pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<StatusEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let view = app
        .run(move |app| statuses::delete(app, viewer, id))
        .await?;
    let mut entity = entities::status(&app, &view);
    entity.text = Some(view.status.text_source.clone());
    Ok(Json(entity))
}

#[derive(serde::Serialize)]
pub struct ContextEntity {
    ancestors: Vec<StatusEntity>,
    descendants: Vec<StatusEntity>,
}

pub async fn context(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<ContextEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let (ancestors, descendants) = app
        .run(move |app| statuses::context(app, viewer, id))
        .await?;
    Ok(Json(ContextEntity {
        ancestors: ancestors
            .iter()
            .map(|view| entities::status(&app, view))
            .collect(),
        descendants: descendants
            .iter()
            .map(|view| entities::status(&app, view))
            .collect(),
    }))
}

/// An action on a status by the signed-in user.
#[derive(Clone, Copy)]
enum Action {
    Favourite,
    Unfavourite,
    Reblog(Option<Visibility>),
    Unreblog,
    Bookmark,
    Unbookmark,
    Pin,
    Unpin,
}

async fn act(
    app: App,
    auth: Auth,
    id: String,
    action: Action,
) -> Result<Json<StatusEntity>, ApiError> {
    let scope = match action {
        Action::Favourite | Action::Unfavourite => Scope::WriteFavourites,
        Action::Reblog(_) | Action::Unreblog => Scope::WriteStatuses,
        Action::Bookmark | Action::Unbookmark => Scope::WriteBookmarks,
        Action::Pin | Action::Unpin => Scope::WriteAccounts,
    };
    let viewer = auth.user(scope)?;
    let id: StatusId = parse_id(&id)?;
    let view = app
        .run(move |app| match action {
            Action::Favourite => statuses::favourite(app, viewer, id),
            Action::Unfavourite => statuses::unfavourite(app, viewer, id),
            Action::Reblog(visibility) => statuses::reblog(app, viewer, id, visibility),
            Action::Unreblog => statuses::unreblog(app, viewer, id),
            Action::Bookmark => statuses::bookmark(app, viewer, id),
            Action::Unbookmark => statuses::unbookmark(app, viewer, id),
            Action::Pin => statuses::pin(app, viewer, id),
            Action::Unpin => statuses::unpin(app, viewer, id),
        })
        .await?;
    Ok(Json(entities::status(&app, &view)))
}

macro_rules! action_handler {
    ($($name:ident => $action:expr;)*) => {$(
        pub async fn $name(State(app): State<App>, auth: Auth, Path(id): Path<String>) -> Result<Json<StatusEntity>, ApiError> {
            act(app, auth, id, $action).await
        }
    )*};
}

action_handler! {
    favourite => Action::Favourite;
    unfavourite => Action::Unfavourite;
    unreblog => Action::Unreblog;
    bookmark => Action::Bookmark;
    unbookmark => Action::Unbookmark;
    pin => Action::Pin;
    unpin => Action::Unpin;
}

#[derive(Deserialize, Default)]
pub struct ReblogParams {
    visibility: Option<String>,
}

pub async fn reblog(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<ReblogParams>,
) -> Result<Json<StatusEntity>, ApiError> {
    let visibility = parse_visibility(params.visibility.as_deref())?;
    act(app, auth, id, Action::Reblog(visibility)).await
}

async fn actors(
    app: App,
    auth: MaybeAuth,
    uri: axum::http::Uri,
    id: String,
    which: Actors,
    page: PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.viewer(Scope::ReadAccounts)?;
    let id: StatusId = parse_id(&id)?;
    let page = page.page(&app, Some(80));
    let listed = app
        .run(move |app| statuses::actors(app, viewer, id, which, page))
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

pub async fn favourited_by(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    actors(app, auth, uri, id, Actors::FavouritedBy, page).await
}

pub async fn reblogged_by(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    actors(app, auth, uri, id, Actors::RebloggedBy, page).await
}

#[derive(Deserialize)]
pub struct EditStatus {
    status: Option<String>,
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
    #[serde(default)]
    media_ids: Option<Vec<String>>,
}

pub async fn edit(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<EditStatus>,
) -> Result<Json<StatusEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteStatuses)?;
    let id: StatusId = parse_id(&id)?;
    // Clients send the attachments a status has when they edit its text; changing them is
    // not supported (yet), keeping them is.
    if let Some(sent) = params.media_ids.as_ref() {
        let current = app
            .run(move |app| statuses::get(app, Some(viewer), id))
            .await?
            .status
            .media_ids
            .iter()
            .map(|media| media.to_string())
            .collect::<Vec<_>>();
        if *sent != current {
            return Err(ApiError::unprocessable(
                "Validation failed: Changing media attachments is not supported yet",
            ));
        }
    }
    let edit = statuses::StatusEdit {
        text: params.status.unwrap_or_default(),
        spoiler_text: params.spoiler_text,
        sensitive: params.sensitive,
        language: params.language,
    };
    let view = app
        .run(move |app| statuses::edit(app, viewer, id, edit))
        .await?;
    Ok(Json(entities::status(&app, &view)))
}

/// `GET /api/v1/statuses/:id/source`: the text as typed, for editing.
pub async fn source(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let view = app
        .run(move |app| statuses::get(app, Some(viewer), id))
        .await?;
    if view.status.account_id != viewer {
        return Err(ApiError::not_found());
    }
    Ok(Json(serde_json::json!({
        "id": view.status.id.to_string(),
        "text": view.status.text_source,
        "spoiler_text": view.status.spoiler_text,
    })))
}

/// `GET /api/v1/statuses/:id/card` (deprecated in Mastodon 3.0, still called by apps): the
/// status's preview card, or `{}` when it has none (as Mastodon answers).
pub async fn card(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let card = app
        .run(move |app| crate::app::cards::get(app, viewer, id))
        .await?;
    let body = match card {
        Some(card) => serde_json::to_value(entities::preview_card(&app, &card))
            .map_err(|error| ApiError::from(crate::app::AppError::Internal(error.to_string())))?,
        None => serde_json::json!({}),
    };
    Ok(Json(body))
}

/// `GET /api/v1/statuses/:id/history`: every version, oldest first.
pub async fn history(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<entities::StatusEditEntity>>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let (versions, account) = app
        .run(move |app| statuses::history(app, viewer, id))
        .await?;
    Ok(Json(
        versions
            .iter()
            .map(|version| entities::status_edit(&app, &account, version))
            .collect(),
    ))
}

async fn set_muted(
    app: App,
    auth: Auth,
    id: String,
    muted: bool,
) -> Result<Json<StatusEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteMutes)?;
    let id: StatusId = parse_id(&id)?;
    let view = app
        .run(move |app| crate::app::conversations::set_muted(app, viewer, id, muted))
        .await?;
    Ok(Json(entities::status(&app, &view)))
}

pub async fn mute(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<StatusEntity>, ApiError> {
    set_muted(app, auth, id, true).await
}

pub async fn unmute(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<StatusEntity>, ApiError> {
    set_muted(app, auth, id, false).await
}

/// `POST /api/v1/statuses/:id/translate`: no translation service is configured, so 404 as
/// Mastodon answers then (after checking that the status exists for the viewer).
pub async fn translate(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<StatusEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    app.run(move |app| statuses::get(app, viewer, id)).await?;
    Err(ApiError::not_found())
}

/// Statuses asked for at once (Mastodon: 20).
const MANY_MAX: usize = 20;

#[derive(Deserialize)]
pub struct ManyParams {
    #[serde(default)]
    id: ManyIds,
}

/// `id[]=1&id[]=2` or `id=1`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ManyIds {
    Many(Vec<String>),
    One(String),
}

impl Default for ManyIds {
    fn default() -> Self {
        ManyIds::Many(Vec::new())
    }
}

/// `GET /api/v1/statuses?id[]=…`: the statuses the viewer may see, in the order asked;
/// unknown and hidden ones are left out.
pub async fn many(
    State(app): State<App>,
    auth: MaybeAuth,
    Params(params): Params<ManyParams>,
) -> Result<Json<Vec<StatusEntity>>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let ids = match params.id {
        ManyIds::Many(ids) => ids,
        ManyIds::One(id) => vec![id],
    };
    if ids.len() > MANY_MAX {
        return Err(ApiError::unprocessable(format!(
            "Validation failed: at most {MANY_MAX} ids"
        )));
    }
    let ids: Vec<StatusId> = ids.iter().filter_map(|id| id.parse().ok()).collect();
    let views = app
        .run(move |app| {
            let mut found = Vec::new();
            for id in ids {
                match statuses::get(app, viewer, id) {
                    Ok(view) => found.push(view),
                    Err(crate::app::AppError::NotFound) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(found)
        })
        .await?;
    Ok(Json(
        views
            .iter()
            .map(|view| entities::status(&app, view))
            .collect(),
    ))
}
