//! `/api/v1/admin/reports`: list and show reports, assign them, resolve and reopen them
//! (https://docs.joinmastodon.org/methods/admin/reports/).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::entities::{self, AdminReportEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Query, parse_id};
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::moderation::{self, ReportChange, ReportFilter};
use crate::model::{AccountId, Scope};
use crate::util::lenient;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default, deserialize_with = "lenient::option_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    account_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    target_account_id: Option<u64>,
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(filters): Query<Filters>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let page = super::admin_page(&app, page);
    let filter = ReportFilter {
        resolved: filters.resolved.unwrap_or(false),
        account: filters.account_id.map(AccountId),
        target: filters.target_account_id.map(AccountId),
    };
    let reports = app
        .run(move |app| moderation::list_reports(app, actor, filter, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&reports, |r| r.report.id));
    let entities: Vec<_> = reports.iter().map(|r| entities::report(&app, r)).collect();
    Ok((headers, Json(entities)))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminReportEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id = parse_id(&id)?;
    let view = app
        .run(move |app| moderation::get_report(app, actor, id))
        .await?;
    Ok(Json(entities::report(&app, &view)))
}

async fn change(
    app: App,
    auth: Auth,
    id: String,
    change: ReportChange,
) -> Result<Json<AdminReportEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = parse_id(&id)?;
    let view = app
        .run(move |app| moderation::change_report(app, actor, id, change))
        .await?;
    Ok(Json(entities::report(&app, &view)))
}

macro_rules! change_handlers {
    ($($name:ident => $change:expr;)*) => {
        $(
            pub async fn $name(
                State(app): State<App>,
                auth: Auth,
                Path(id): Path<String>,
            ) -> Result<Json<AdminReportEntity>, ApiError> {
                change(app, auth, id, $change).await
            }
        )*
    };
}

change_handlers! {
    assign_to_self => ReportChange::AssignToSelf;
    unassign => ReportChange::Unassign;
    resolve => ReportChange::Resolve;
    reopen => ReportChange::Reopen;
}
