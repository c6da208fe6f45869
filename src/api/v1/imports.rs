//! Mastodon's CSV files: `GET /settings/exports/{follows,lists,blocks,mutes,domain_blocks,
//! bookmarks}.csv` and `POST /settings/imports` (multipart `form_import[type]`,
//! `form_import[mode]`, `form_import[data]` as Mastodon's form sends them, or a `text/csv`
//! body with `type` and `mode` in the query), authorized by an API token.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::{ApiError, Auth};
use crate::app::App;
use crate::app::imports::{self, Kind, Mode};
use crate::model::Scope;

/// Accounts and posts on other servers looked up for one import; the rest of the unknown
/// ones are reported as failed (import the file again later to retry them).
const LOOKUPS_MAX: usize = 50;
/// Time all lookups of one import may take together.
const LOOKUPS_TIME: Duration = Duration::from_secs(60);

fn read_scope(kind: Kind) -> Scope {
    match kind {
        Kind::Following => Scope::ReadFollows,
        Kind::Lists => Scope::ReadLists,
        Kind::Blocks | Kind::DomainBlocks => Scope::ReadBlocks,
        Kind::Mutes => Scope::ReadMutes,
        Kind::Bookmarks => Scope::ReadBookmarks,
    }
}

fn write_scope(kind: Kind) -> Scope {
    match kind {
        Kind::Following => Scope::WriteFollows,
        Kind::Lists => Scope::WriteLists,
        Kind::Blocks | Kind::DomainBlocks => Scope::WriteBlocks,
        Kind::Mutes => Scope::WriteMutes,
        Kind::Bookmarks => Scope::WriteBookmarks,
    }
}

pub async fn export(
    State(app): State<App>,
    auth: Auth,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let kind = file
        .strip_suffix(".csv")
        .and_then(Kind::parse)
        .ok_or_else(ApiError::not_found)?;
    let viewer = auth.user(read_scope(kind))?;
    let text = app
        .run(move |app| imports::export(app, viewer, kind))
        .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Serialize)]
pub struct ImportEntity {
    #[serde(rename = "type")]
    kind: String,
    imported: usize,
    /// Entries the file did not list, removed in `overwrite` mode.
    removed: usize,
    failed: Vec<FailedRow>,
}

#[derive(Serialize)]
pub struct FailedRow {
    row: String,
    error: String,
}

/// The parts of an import request: type, mode and the file's text.
async fn read_request(request: Request) -> Result<(String, String, String), ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let query: Vec<(String, String)> =
        serde_html_form::from_str(request.uri().query().unwrap_or_default())
            .map_err(|_| ApiError::bad_request("The query string is malformed"))?;
    let from_query = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name || *key == format!("form_import[{name}]"))
            .map(|(_, value)| value.clone())
    };
    let (mut kind, mut mode, mut data) = (from_query("type"), from_query("mode"), None);
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = axum::extract::Multipart::from_request(request, &())
            .await
            .map_err(|error| ApiError::bad_request(format!("Malformed form: {error}")))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|error| ApiError::bad_request(format!("Malformed form: {error}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let text = field
                .text()
                .await
                .map_err(|error| ApiError::bad_request(format!("Malformed form: {error}")))?;
            match name.as_str() {
                "type" | "form_import[type]" => kind = Some(text),
                "mode" | "form_import[mode]" => mode = Some(text),
                "data" | "form_import[data]" => data = Some(text),
                _ => {}
            }
        }
    } else {
        let bytes = axum::body::Bytes::from_request(request, &())
            .await
            .map_err(|_| ApiError::payload_too_large())?;
        data =
            Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                ApiError::unprocessable("Validation failed: the file is not UTF-8")
            })?);
    }
    let kind =
        kind.ok_or_else(|| ApiError::unprocessable("Validation failed: Type can't be blank"))?;
    let data =
        data.ok_or_else(|| ApiError::unprocessable("Validation failed: Data can't be blank"))?;
    Ok((kind, mode.unwrap_or_else(|| "merge".into()), data))
}

pub async fn import(
    State(app): State<App>,
    auth: Auth,
    request: Request,
) -> Result<Json<ImportEntity>, ApiError> {
    let (kind_name, mode, data) = read_request(request).await?;
    let kind = Kind::parse(&kind_name).ok_or_else(|| {
        ApiError::unprocessable("Validation failed: Type is not included in the list")
    })?;
    let viewer = auth.user(write_scope(kind))?;
    let mode = Mode::parse(&mode).ok_or_else(|| {
        ApiError::unprocessable("Validation failed: Mode is not included in the list")
    })?;
    let rows = imports::parse(&data)?;
    // Accounts and posts of other servers that are not known here yet are looked up first.
    let lookups = async {
        let mut done = 0;
        for (first, second) in &rows {
            if done >= LOOKUPS_MAX {
                break;
            }
            if kind == Kind::Bookmarks {
                let url = first.clone();
                let known = app.run(move |app| imports::status_by_url(app, &url)).await;
                if matches!(known, Ok(None)) {
                    done += 1;
                    let _ = app.resolve_url(first).await;
                }
                continue;
            }
            let address = if kind == Kind::Lists { second } else { first };
            let acct = address.trim().trim_start_matches('@').to_string();
            let lookup = acct.clone();
            let known = app
                .run(move |app| imports::account_by_address(app, &lookup))
                .await;
            if matches!(known, Ok(None)) && acct.contains('@') {
                done += 1;
                let _ = app.resolve_account(&acct).await;
            }
        }
    };
    let _ = tokio::time::timeout(LOOKUPS_TIME, lookups).await;
    let report = app
        .run(move |app| imports::apply(app, viewer, kind, rows, mode))
        .await?;
    Ok(Json(ImportEntity {
        kind: kind_name,
        imported: report.imported,
        removed: report.removed,
        failed: report
            .failed
            .into_iter()
            .map(|(row, error)| FailedRow { row, error })
            .collect(),
    }))
}
