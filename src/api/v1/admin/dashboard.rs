//! `POST /api/v1/admin/measures` and `POST /api/v1/admin/dimensions`, the admin dashboard's
//! figures (https://docs.joinmastodon.org/methods/admin/measures/, .../dimensions/). Values
//! are strings, as Mastodon sends them; keys Skerry does not keep are left out.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, Auth, Params};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::moderation;
use crate::model::Scope;
use crate::util::time::{iso8601_ms, parse_day};

#[derive(Deserialize)]
pub struct MeasureParams {
    #[serde(default)]
    keys: Vec<String>,
    start_at: Option<String>,
    end_at: Option<String>,
}

pub async fn measures(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<MeasureParams>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let day = |text: Option<&str>, name: &str| {
        text.and_then(parse_day).ok_or_else(|| {
            ApiError::unprocessable(format!("Validation failed: {name} is not a date"))
        })
    };
    let start = day(params.start_at.as_deref(), "start_at")?;
    let end = day(params.end_at.as_deref(), "end_at")?;
    let keys = params.keys;
    let measures = app
        .run(move |app| moderation::measures(app, actor, &keys, start, end))
        .await?;
    Ok(Json(
        measures
            .iter()
            .map(|measure| {
                json!({
                    "key": measure.key,
                    "unit": null,
                    "total": measure.total.to_string(),
                    "previous_total": measure.previous_total.to_string(),
                    "data": measure.data.iter().map(|(day, value)| json!({
                        "date": iso8601_ms(*day),
                        "value": value.to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct DimensionParams {
    #[serde(default)]
    keys: Vec<String>,
}

pub async fn dimensions(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<DimensionParams>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let stats = app.run(move |app| moderation::storage(app, actor)).await?;
    let mut out = Vec::new();
    for key in &params.keys {
        match key.as_str() {
            "space_usage" => out.push(json!({
                "key": "space_usage",
                "data": [{
                    "key": "redb",
                    "human_key": "Database (redb)",
                    "value": stats.file_bytes.to_string(),
                    "unit": "bytes",
                    "human_value": crate::util::units::bytes(stats.file_bytes),
                }],
            })),
            "software_versions" => out.push(json!({
                "key": "software_versions",
                "data": [{
                    "key": "skerry",
                    "human_key": "Skerry",
                    "value": env!("CARGO_PKG_VERSION"),
                    "human_value": env!("CARGO_PKG_VERSION"),
                }],
            })),
            _ => {}
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct RetentionParams {
    start_at: Option<String>,
    end_at: Option<String>,
    frequency: Option<String>,
}

/// `POST /api/v1/admin/retention` (also answered on GET): Mastodon's cohorts
/// (https://docs.joinmastodon.org/entities/Admin_Cohort/). Activity is posting, as Skerry
/// keeps no log of sign-ins (`app::cohorts`).
pub async fn retention(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<RetentionParams>,
) -> Result<Json<Vec<Value>>, ApiError> {
    use crate::app::cohorts::{self, Frequency};
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let day = |text: Option<&str>, name: &str| {
        text.and_then(parse_day).ok_or_else(|| {
            ApiError::unprocessable(format!("Validation failed: {name} is not a date"))
        })
    };
    let start = day(params.start_at.as_deref(), "start_at")?;
    let end = day(params.end_at.as_deref(), "end_at")?;
    let frequency =
        Frequency::parse(params.frequency.as_deref().unwrap_or("day")).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: frequency is not day or month")
        })?;
    let cohorts = app
        .run(move |app| cohorts::retention(app, actor, start, end, frequency))
        .await?;
    Ok(Json(
        cohorts
            .iter()
            .map(|cohort| {
                json!({
                    "period": iso8601_ms(cohort.period_ms),
                    "frequency": frequency.name(),
                    "data": cohort.data.iter().map(|(period, value)| json!({
                        "date": iso8601_ms(*period),
                        "rate": if cohort.size == 0 { 0.0 } else { *value as f64 / cohort.size as f64 },
                        "value": value.to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}
