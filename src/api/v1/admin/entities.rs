//! Mastodon's admin entities: `Admin::Account` and `Admin::Report`
//! (https://docs.joinmastodon.org/entities/Admin_Account/, .../Admin_Report/).

use serde::Serialize;

use crate::api::entities::{self, AccountEntity, RoleEntity, StatusEntity};
use crate::app::App;
use crate::app::moderation::{AdminAccountView, AdminReportView};
use crate::util::time::iso8601_ms;

#[derive(Serialize)]
pub struct AdminAccountEntity {
    pub id: String,
    pub username: String,
    pub domain: Option<String>,
    pub created_at: String,
    pub email: Option<String>,
    /// Sign-up addresses are not kept (nothing to leak).
    pub ip: Option<String>,
    pub ips: Vec<serde_json::Value>,
    pub locale: Option<String>,
    pub invite_request: Option<String>,
    pub role: Option<RoleEntity>,
    pub confirmed: bool,
    pub approved: bool,
    pub disabled: bool,
    pub silenced: bool,
    pub sensitized: bool,
    pub suspended: bool,
    pub account: AccountEntity,
}

pub fn account(app: &App, view: &AdminAccountView) -> AdminAccountEntity {
    let account = &view.view.account;
    let moderation = &view.moderation;
    let local = view.user.as_ref();
    AdminAccountEntity {
        id: account.id.0.to_string(),
        username: account.username.clone(),
        domain: account.domain.clone(),
        created_at: iso8601_ms(account.created_ms),
        email: local.map(|user| user.email.clone()),
        ip: None,
        ips: Vec::new(),
        locale: local.and_then(|user| user.default_language.clone()),
        invite_request: (!moderation.reason.is_empty()).then(|| moderation.reason.clone()),
        role: local.map(|user| entities::role(user.role)),
        // Unconfirmed: signed up while e-mail was on and the link was not opened yet.
        confirmed: local.is_some() && !moderation.unconfirmed,
        approved: local.is_some() && !moderation.pending,
        disabled: moderation.disabled_ms.is_some(),
        silenced: moderation.silenced_ms.is_some(),
        sensitized: moderation.sensitized_ms.is_some(),
        suspended: account.suspended_ms.is_some(),
        account: entities::account(app, &view.view),
    }
}

#[derive(Serialize)]
pub struct AdminReportEntity {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: &'static str,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub updated_at: String,
    pub account: AdminAccountEntity,
    pub target_account: AdminAccountEntity,
    pub assigned_account: Option<AdminAccountEntity>,
    pub action_taken_by_account: Option<AdminAccountEntity>,
    pub statuses: Vec<StatusEntity>,
    pub rules: Vec<serde_json::Value>,
}

pub fn report(app: &App, view: &AdminReportView) -> AdminReportEntity {
    let report = &view.report;
    let state = &view.state;
    AdminReportEntity {
        id: report.id.to_string(),
        action_taken: state.resolved_ms.is_some(),
        action_taken_at: state.resolved_ms.map(iso8601_ms),
        category: "other",
        comment: report.comment.clone(),
        forwarded: report.uri.is_some(),
        created_at: iso8601_ms(report.created_ms),
        updated_at: iso8601_ms(state.updated_ms.max(report.created_ms)),
        account: account(app, &view.reporter),
        target_account: account(app, &view.target),
        assigned_account: view.assigned.as_ref().map(|view| account(app, view)),
        action_taken_by_account: view.resolved_by.as_ref().map(|view| account(app, view)),
        statuses: view
            .statuses
            .iter()
            .map(|status| entities::status(app, status))
            .collect(),
        rules: Vec::new(),
    }
}
