//! `/api/v1/timelines/home`, `public` and `tag/:hashtag`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities;
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, MaybeAuth, Query};
use crate::app::App;
use crate::app::timelines::{self, Scope as PublicScope};
use crate::app::views::StatusView;
use crate::model::Scope;
use crate::util::lenient;

fn respond(app: &App, uri: &axum::http::Uri, views: &[StatusView]) -> impl IntoResponse + use<> {
    let headers = link_headers(app, uri, bounds(views, |view| view.status.id.0));
    (
        headers,
        Json(
            views
                .iter()
                .map(|view| entities::status(app, view))
                .collect::<Vec<_>>(),
        ),
    )
}

pub async fn home(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadStatuses)?;
    let page = page.page(&app, None);
    let views = app
        .run(move |app| timelines::home(app, viewer, page))
        .await?;
    Ok(respond(&app, &uri, &views))
}

#[derive(Deserialize)]
pub struct PublicParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    only_media: Option<bool>,
}

pub async fn public(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PublicParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let page = params.page.page(&app, None);
    let scope = match (
        params.local.unwrap_or(false),
        params.remote.unwrap_or(false),
    ) {
        (true, _) => PublicScope::Local,
        (false, true) => PublicScope::Remote,
        (false, false) => PublicScope::All,
    };
    let only_media = params.only_media.unwrap_or(false);
    let views = app
        .run(move |app| timelines::public(app, viewer, scope, only_media, page))
        .await?;
    Ok(respond(&app, &uri, &views))
}

pub async fn tag(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
    Query(params): Query<PublicParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let page = params.page.page(&app, None);
    let local_only = params.local.unwrap_or(false);
    let only_media = params.only_media.unwrap_or(false);
    let views = app
        .run(move |app| timelines::tag(app, viewer, &name, local_only, only_media, page))
        .await?;
    Ok(respond(&app, &uri, &views))
}

#[derive(Deserialize)]
pub struct LinkParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default)]
    url: String,
}

/// `GET /api/v1/timelines/link?url=`: public statuses that link to `url`; 404 when none
/// does (Mastodon answers 404 for a link that is not trending).
pub async fn link(
    State(app): State<App>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<LinkParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    if params.url.is_empty() {
        return Err(ApiError::unprocessable("Missing url"));
    }
    let page = params.page.page(&app, None);
    let first_page = page.max_id.is_none() && page.min_id.is_none() && page.since_id.is_none();
    let url = params.url;
    let views = app
        .run(move |app| timelines::link(app, viewer, &url, page))
        .await?;
    // Later pages may end empty; a first page with nothing means no status links there.
    if views.is_empty() && first_page {
        return Err(ApiError::not_found());
    }
    Ok(respond(&app, &uri, &views))
}
