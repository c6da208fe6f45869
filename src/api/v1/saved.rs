//! The signed-in user's own lists and settings: bookmarks, favourites, preferences, markers.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::api::entities;
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Params, Query};
use crate::app::{App, accounts, markers, timelines};
use crate::model::Marker;
use crate::model::Scope;
use crate::util::{lenient, time::iso8601_ms};

async fn saved(
    app: App,
    auth: Auth,
    uri: axum::http::Uri,
    page: PageParams,
    bookmarks: bool,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(if bookmarks {
        Scope::ReadBookmarks
    } else {
        Scope::ReadFavourites
    })?;
    let page = page.page(&app, None);
    let listed = app
        .run(move |app| timelines::saved(app, viewer, bookmarks, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(edge_id, _)| *edge_id));
    Ok((
        headers,
        Json(
            listed
                .iter()
                .map(|(_, view)| entities::status(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

pub async fn bookmarks(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    saved(app, auth, uri, page, true).await
}

pub async fn favourites(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    saved(app, auth, uri, page, false).await
}

pub async fn preferences(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::ReadAccounts)?;
    let (_, user) = app
        .run(move |app| accounts::credentials(app, viewer))
        .await?;
    Ok(Json(serde_json::json!({
        "posting:default:visibility": user.default_visibility.name(),
        "posting:default:sensitive": user.default_sensitive,
        "posting:default:language": user.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

#[derive(Deserialize)]
pub struct MarkersQuery {
    #[serde(default)]
    timeline: Vec<String>,
}

fn render_markers(markers: Vec<(String, Marker)>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (timeline, marker) in markers {
        out.insert(
            timeline,
            serde_json::json!({
                "last_read_id": marker.last_read_id.to_string(),
                "version": marker.version,
                "updated_at": iso8601_ms(marker.updated_ms),
            }),
        );
    }
    serde_json::Value::Object(out)
}

pub async fn get_markers(
    State(app): State<App>,
    auth: Auth,
    Query(params): Query<MarkersQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::ReadStatuses)?;
    let markers = app
        .run(move |app| markers::get(app, viewer, &params.timeline))
        .await?;
    Ok(Json(render_markers(markers)))
}

#[derive(Deserialize)]
pub struct MarkerParams {
    #[serde(default, deserialize_with = "lenient::option_u64")]
    last_read_id: Option<u64>,
}

pub async fn set_markers(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<BTreeMap<String, MarkerParams>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteStatuses)?;
    let updates: Vec<(String, u64)> = params
        .into_iter()
        .filter_map(|(timeline, marker)| marker.last_read_id.map(|id| (timeline, id)))
        .collect();
    let markers = app
        .run(move |app| markers::set(app, viewer, updates))
        .await?;
    Ok(Json(render_markers(markers)))
}
