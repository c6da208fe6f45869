//! `POST /api/v1/reports`: a local user reports an account (and statuses of it).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::api::entities::{self, ReportEntity};
use crate::api::{ApiError, Auth, Params, parse_id};
use crate::app::{App, reports};
use crate::model::{AccountId, Scope, StatusId};

/// Mastodon's report categories; Skerry keeps no rules yet, so `violation` has no rules
/// to name.
const CATEGORIES: [&str; 4] = ["spam", "legal", "violation", "other"];

#[derive(Deserialize)]
pub struct ReportParams {
    account_id: Option<String>,
    #[serde(default)]
    status_ids: Vec<String>,
    #[serde(default)]
    comment: String,
    category: Option<String>,
    #[serde(default, deserialize_with = "crate::util::lenient::option_bool")]
    forward: Option<bool>,
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<ReportParams>,
) -> Result<Json<ReportEntity>, ApiError> {
    let reporter = auth.user(Scope::WriteReports)?;
    let target: AccountId = params
        .account_id
        .as_deref()
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Account can't be blank"))
        .and_then(parse_id)?;
    let category = params.category.unwrap_or_else(|| "other".to_string());
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(ApiError::unprocessable(
            "Validation failed: Category is not included in the list",
        ));
    }
    if params.status_ids.len() > reports::STATUSES_MAX {
        return Err(ApiError::unprocessable(
            "Validation failed: Too many statuses",
        ));
    }
    let status_ids = params
        .status_ids
        .iter()
        .map(|id| {
            id.parse().map(StatusId).map_err(|_| {
                ApiError::unprocessable("Validation failed: Statuses are not valid ids")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let comment = params.comment;
    let forward = params.forward.unwrap_or(false);
    let (report, target, forwarded) = app
        .run(move |app| reports::create(app, reporter, target, status_ids, &comment, forward))
        .await?;
    Ok(Json(entities::report(
        &app, &report, &target, &category, forwarded,
    )))
}
