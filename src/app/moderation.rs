//! Moderation: what moderators and admins do to accounts and reports, and the audit log that
//! records every admin action (who, what, when, why).
//!
//! Permissions follow Mastodon's default roles: moderators manage users and reports and read
//! the audit log; admins also change roles and manage federation (domain blocks, in
//! `domains`) and invitations; the owner may do everything. Nobody acts on an account whose
//! role is as high as their own (except the owner and the operator).
//!
//! Every operation checks its actor's role inside its transaction and appends its audit
//! entry in that same transaction, so an action and its record commit together.

use redb::WriteTransaction;

use crate::model::{
    Account, AccountId, AccountModeration, AuditAction, AuditEntry, LocalUser, OutboxIntent,
    Report, ReportState, Role,
};
use crate::store::{Edge, Page, Reader, accounts, moderation, schema};
use crate::util::time::now_ms;

use super::admin::{self, Actor};
use super::views::{self, AccountView};
use super::{App, AppError};

/// Longest reason or note given with an action, in characters (Mastodon: 5,000 for a
/// warning's text).
pub const ACTION_TEXT_CHARS_MAX: usize = 5_000;
/// How long a suspended account's content stays (so that a mistaken suspension can be undone)
/// before it is deleted: Mastodon's 30 days.
pub const SUSPENDED_CONTENT_GRACE_MS: u64 = 30 * 24 * 3600 * 1000;
/// Statuses deleted per transaction when a suspended account's content goes: small
/// transactions, so the purge never holds the write lock for long.
const PURGE_STATUSES_PER_TX: usize = 200;
/// Accounts whose content is purged per pass.
const PURGE_ACCOUNTS_PER_PASS: usize = 16;

/// Notes a report holds, and the longest note in characters (Mastodon: 500).
const REPORT_NOTES_MAX: usize = 100;
pub const REPORT_NOTE_CHARS_MAX: usize = 500;

/// Accounts an admin list looks at to fill one page when it filters (by status, origin,
/// name): a bound on the work of one request on a large instance.
const ACCOUNT_SCAN_MAX: usize = 20_000;
/// Reports a report list looks at to fill one page when it filters.
const REPORT_SCAN_MAX: usize = 20_000;

/// An account as the admin API shows it: the public view plus what only staff see.
#[derive(Clone, Debug)]
pub struct AdminAccountView {
    pub view: AccountView,
    pub user: Option<LocalUser>,
    pub moderation: AccountModeration,
}

/// A report with everything its admin entity shows.
#[derive(Clone, Debug)]
pub struct AdminReportView {
    pub report: Report,
    pub state: ReportState,
    pub reporter: AdminAccountView,
    pub target: AdminAccountView,
    pub assigned: Option<AdminAccountView>,
    pub resolved_by: Option<AdminAccountView>,
    /// The reported statuses that still exist.
    pub statuses: Vec<views::StatusView>,
    /// Moderators' notes, oldest first.
    pub notes: Vec<crate::model::ReportNote>,
}

/// `POST /api/v1/admin/accounts/:id/action` kinds; each also counts as a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// A warning only.
    None,
    Sensitive,
    Disable,
    Silence,
    Suspend,
}

impl ActionKind {
    pub fn parse(name: &str) -> Option<ActionKind> {
        match name {
            "none" => Some(ActionKind::None),
            "sensitive" => Some(ActionKind::Sensitive),
            "disable" => Some(ActionKind::Disable),
            "silence" => Some(ActionKind::Silence),
            "suspend" => Some(ActionKind::Suspend),
            _ => None,
        }
    }
}

/// What undoes an action, or approves or rejects a sign-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    Unsensitive,
    Enable,
    Unsilence,
    Unsuspend,
    Approve,
    Reject,
    /// Confirms an account whose confirmation e-mail was not used (Mastodon's admin
    /// "Confirm"); also how an admin vouches for an address when no e-mail is sent.
    Confirm,
}

/// Filters of the admin account lists (v1's booleans and v2's `origin`/`status` map here).
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// `Some(true)`: local only; `Some(false)`: remote only.
    pub local: Option<bool>,
    pub status: Option<AccountStatus>,
    pub staff: bool,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub by_domain: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Pending,
    Disabled,
    Silenced,
    Suspended,
    Sensitized,
    /// Waiting for its e-mail confirmation (ours; the web page's filter).
    Unconfirmed,
}

impl AccountStatus {
    pub fn parse(name: &str) -> Option<AccountStatus> {
        match name {
            "active" => Some(AccountStatus::Active),
            "pending" => Some(AccountStatus::Pending),
            "disabled" => Some(AccountStatus::Disabled),
            "silenced" => Some(AccountStatus::Silenced),
            "suspended" => Some(AccountStatus::Suspended),
            "sensitized" => Some(AccountStatus::Sensitized),
            "unconfirmed" => Some(AccountStatus::Unconfirmed),
            _ => None,
        }
    }
}

fn check_text(text: &str) -> Result<(), AppError> {
    if text.chars().count() > ACTION_TEXT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Text is too long (maximum is {ACTION_TEXT_CHARS_MAX} characters)"
        )));
    }
    Ok(())
}

/// Appends one audit entry in `tx`.
pub(crate) fn audit(
    app: &App,
    tx: &WriteTransaction,
    actor: Actor,
    action: AuditAction,
    target: String,
    text: &str,
) -> Result<(), AppError> {
    let entry = AuditEntry {
        id: app.next_id(),
        actor: match actor {
            Actor::Operator => None,
            Actor::Account(id) => Some(id),
        },
        action,
        target,
        text: text.to_string(),
        created_ms: now_ms(),
    };
    moderation::append_audit(tx, &entry)?;
    Ok(())
}

/// `@alice` or `@bob@example.com`: how the audit log names an account.
fn handle(account: &Account) -> String {
    format!("@{}", account.acct())
}

/// The role of an actor (the operator counts as above the owner).
fn role_of(app: &App, reader: &impl Reader, actor: Actor) -> Result<Option<Role>, AppError> {
    match actor {
        Actor::Operator => Ok(None),
        Actor::Account(id) => Ok(accounts::get_user(reader, id, app.bytes_max())?.map(|u| u.role)),
    }
}

/// Refuses an action on an account whose role is at least the actor's, and on oneself;
/// the owner and the operator may act on anyone but themselves.
fn check_target(
    app: &App,
    reader: &impl Reader,
    actor: Actor,
    target: AccountId,
) -> Result<(), AppError> {
    if actor == Actor::Account(target) {
        return Err(AppError::Forbidden(admin::NOT_ALLOWED));
    }
    let Some(actor_role) = role_of(app, reader, actor)? else {
        return Ok(());
    };
    let target_role = accounts::get_user(reader, target, app.bytes_max())?.map(|user| user.role);
    match target_role {
        Some(role) if role >= actor_role && actor_role != Role::Owner => {
            Err(AppError::Forbidden(admin::NOT_ALLOWED))
        }
        _ => Ok(()),
    }
}

/// Any account, suspended or not, with what staff see of it.
pub fn admin_view(
    app: &App,
    reader: &impl Reader,
    id: AccountId,
) -> Result<AdminAccountView, AppError> {
    let account = accounts::get_account(reader, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
    let user = accounts::get_user(reader, id, app.bytes_max())?;
    let moderation = moderation::get_account_moderation(reader, id, app.bytes_max())?;
    Ok(AdminAccountView {
        view: views::account_view(app, reader, account)?,
        user,
        moderation,
    })
}

pub fn get_account(app: &App, actor: Actor, id: AccountId) -> Result<AdminAccountView, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        admin_view(app, tx, id)
    })
}

fn matches(filter: &AccountFilter, account: &AdminAccountView) -> bool {
    let a = &account.view.account;
    let m = &account.moderation;
    let contains = |haystack: &str, needle: &Option<String>| {
        needle
            .as_ref()
            .is_none_or(|needle| haystack.to_lowercase().contains(&needle.to_lowercase()))
    };
    let status_ok = match filter.status {
        None => true,
        Some(AccountStatus::Active) => {
            a.suspended_ms.is_none() && m.disabled_ms.is_none() && !m.pending && !m.unconfirmed
        }
        Some(AccountStatus::Pending) => m.pending,
        Some(AccountStatus::Disabled) => m.disabled_ms.is_some(),
        Some(AccountStatus::Silenced) => m.silenced_ms.is_some(),
        Some(AccountStatus::Suspended) => a.suspended_ms.is_some(),
        Some(AccountStatus::Sensitized) => m.sensitized_ms.is_some(),
        Some(AccountStatus::Unconfirmed) => m.unconfirmed,
    };
    status_ok
        && filter.local.is_none_or(|local| a.is_local() == local)
        && (!filter.staff || account.user.as_ref().is_some_and(|u| u.role > Role::User))
        && contains(&a.username, &filter.username)
        && contains(&a.display_name, &filter.display_name)
        && filter.by_domain.as_ref().is_none_or(|domain| {
            a.domain
                .as_deref()
                .is_some_and(|host| host.eq_ignore_ascii_case(domain))
        })
        && filter.email.as_ref().is_none_or(|email| {
            account
                .user
                .as_ref()
                .is_some_and(|user| user.email.eq_ignore_ascii_case(email))
        })
}

/// A page of accounts, newest first, that pass `filter`.
pub fn list_accounts(
    app: &App,
    actor: Actor,
    filter: AccountFilter,
    page: Page,
) -> Result<Vec<AdminAccountView>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        crate::store::page_ids(tx, schema::ACCOUNTS, page, ACCOUNT_SCAN_MAX, |id| {
            let view = admin_view(app, tx, AccountId(id))?;
            Ok::<_, AppError>(matches(&filter, &view).then_some(view))
        })
    })
}

/// Warns, and marks sensitive, disables, silences or suspends an account; resolves the
/// report it answers, if one is named.
pub fn act(
    app: &App,
    actor: Actor,
    target: AccountId,
    kind: ActionKind,
    text: String,
    report: Option<u64>,
) -> Result<(), AppError> {
    check_text(&text)?;
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        check_target(app, tx, actor, target)?;
        let mut account =
            accounts::get_account(tx, target, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let mut state = moderation::get_account_moderation(tx, target, app.bytes_max())?;
        let now = now_ms();
        state.warnings = state.warnings.saturating_add(1);
        let action = match kind {
            ActionKind::None => AuditAction::Warn,
            ActionKind::Sensitive => {
                state.sensitized_ms.get_or_insert(now);
                AuditAction::Sensitize
            }
            ActionKind::Disable => {
                if !account.is_local() {
                    return Err(AppError::Validation(
                        "Only local accounts can be disabled".into(),
                    ));
                }
                state.disabled_ms.get_or_insert(now);
                AuditAction::Disable
            }
            ActionKind::Silence => {
                state.silenced_ms.get_or_insert(now);
                AuditAction::Silence
            }
            ActionKind::Suspend => {
                if account.suspended_ms.is_none() {
                    account.suspended_ms = Some(now);
                    accounts::put_account(tx, &account)?;
                    moderation::schedule_purge(tx, target, now + SUSPENDED_CONTENT_GRACE_MS)?;
                    if !account.is_local() {
                        sever_follows(tx, target)?;
                    }
                    if account.is_local() {
                        // Peers learn of it from the actor, which now says `suspended`.
                        super::outbox::enqueue(
                            app,
                            tx,
                            OutboxIntent::UpdateActor { account: target },
                        )?;
                    }
                }
                AuditAction::Suspend
            }
        };
        moderation::put_account_moderation(tx, target, &state)?;
        audit(app, tx, actor, action, handle(&account), &text)?;
        if let Some(report) = report {
            resolve_in(app, tx, actor, report, true)?;
        }
        Ok(())
    })
}

/// Ends every follow and follow request between a suspended remote account and local ones,
/// with their counters and home entries (as a domain suspension does for a whole domain).
fn sever_follows(tx: &WriteTransaction, target: AccountId) -> Result<(), AppError> {
    /// Follows looked at per direction; past it, the rest stay but are inert (nothing is
    /// shown of or sent to a suspended account).
    const EDGES_MAX: usize = 100_000;
    for followee in Edge::FOLLOW.all_of_a(tx, target.0, EDGES_MAX)? {
        super::relationships::remove_follow(tx, target, AccountId(followee))?;
    }
    for follower in Edge::FOLLOW.all_of_b(tx, target.0, EDGES_MAX)? {
        super::relationships::remove_follow(tx, AccountId(follower), target)?;
    }
    for other in Edge::FOLLOW_REQUEST.all_of_a(tx, target.0, EDGES_MAX)? {
        Edge::FOLLOW_REQUEST.remove(tx, target.0, other)?;
    }
    for other in Edge::FOLLOW_REQUEST.all_of_b(tx, target.0, EDGES_MAX)? {
        Edge::FOLLOW_REQUEST.remove(tx, other, target.0)?;
    }
    Ok(())
}

/// Undoes an action, or approves or rejects a pending sign-up. Rejecting removes the
/// account, which never could log in, so nothing else refers to it.
pub fn reverse(
    app: &App,
    actor: Actor,
    target: AccountId,
    reversal: Reversal,
) -> Result<Option<AdminAccountView>, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        check_target(app, tx, actor, target)?;
        let mut account =
            accounts::get_account(tx, target, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let mut state = moderation::get_account_moderation(tx, target, app.bytes_max())?;
        let action = match reversal {
            Reversal::Unsensitive => {
                state.sensitized_ms = None;
                AuditAction::Unsensitize
            }
            Reversal::Enable => {
                state.disabled_ms = None;
                AuditAction::Enable
            }
            Reversal::Unsilence => {
                state.silenced_ms = None;
                AuditAction::Unsilence
            }
            Reversal::Unsuspend => {
                if account.suspended_ms.take().is_some() {
                    accounts::put_account(tx, &account)?;
                    moderation::cancel_purge(tx, target)?;
                    if account.is_local() {
                        super::outbox::enqueue(
                            app,
                            tx,
                            OutboxIntent::UpdateActor { account: target },
                        )?;
                    }
                }
                AuditAction::Unsuspend
            }
            Reversal::Approve | Reversal::Reject if !state.pending => {
                return Err(AppError::Forbidden(admin::NOT_ALLOWED));
            }
            Reversal::Approve => {
                state.pending = false;
                if let Some(user) = accounts::get_user(tx, target, app.bytes_max())? {
                    let body = format!(
                        "Hello @{},\n\nyour account at {} was approved. You can sign in at {}/auth/sign_in.\n",
                        account.username, app.config.server.host, app.base_url
                    );
                    super::mail::enqueue(app, tx, &user.email, "Your account was approved", body)?;
                }
                AuditAction::Approve
            }
            Reversal::Confirm if !state.unconfirmed => {
                return Err(AppError::Forbidden(admin::NOT_ALLOWED));
            }
            Reversal::Confirm => {
                state.unconfirmed = false;
                AuditAction::Confirm
            }
            Reversal::Reject => {
                if let Some(user) = accounts::get_user(tx, target, app.bytes_max())? {
                    let body = format!(
                        "Hello @{},\n\nyour sign-up at {} was not accepted by its moderators.\n",
                        account.username, app.config.server.host
                    );
                    super::mail::enqueue(app, tx, &user.email, "Your sign-up", body)?;
                }
                moderation::put_account_moderation(tx, target, &AccountModeration::default())?;
                moderation::remove_unused_local_account(tx, target, app.bytes_max())?;
                audit(app, tx, actor, AuditAction::Reject, handle(&account), "")?;
                return Ok(None);
            }
        };
        moderation::put_account_moderation(tx, target, &state)?;
        audit(app, tx, actor, action, handle(&account), "")?;
        Ok(Some(admin_view(app, tx, target)?))
    })
}

/// Gives a local account a role. Admins may give roles below their own; the owner any.
pub fn change_role(
    app: &App,
    actor: Actor,
    target: AccountId,
    role: Role,
) -> Result<AdminAccountView, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        check_target(app, tx, actor, target)?;
        if let Some(own) = role_of(app, tx, actor)?
            && role >= own
            && own != Role::Owner
        {
            return Err(AppError::Forbidden(admin::NOT_ALLOWED));
        }
        let account =
            accounts::get_account(tx, target, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let mut user = accounts::get_user(tx, target, app.bytes_max())?
            .ok_or_else(|| AppError::Validation("Only local accounts have roles".into()))?;
        user.role = role;
        accounts::put_user(tx, &user)?;
        audit(
            app,
            tx,
            actor,
            AuditAction::ChangeRole,
            handle(&account),
            role.name(),
        )?;
        admin_view(app, tx, target)
    })
}

/// Whether an account is limited by a moderator (not by its domain: `domains::is_silenced`
/// asks both).
pub fn is_silenced(app: &App, reader: &impl Reader, id: AccountId) -> Result<bool, AppError> {
    Ok(
        moderation::get_account_moderation(reader, id, app.bytes_max())?
            .silenced_ms
            .is_some(),
    )
}

/// Why a local account may not use the API or log in, if it may not.
pub fn login_refusal(
    app: &App,
    reader: &impl Reader,
    id: AccountId,
) -> Result<Option<&'static str>, AppError> {
    let state = moderation::get_account_moderation(reader, id, app.bytes_max())?;
    Ok(if state.unconfirmed {
        Some("Your login is missing a confirmed e-mail address")
    } else if state.pending {
        Some("Your login is currently pending approval")
    } else if state.disabled_ms.is_some() {
        Some("Your login is currently disabled")
    } else {
        None
    })
}

fn report_view(
    app: &App,
    reader: &impl Reader,
    report: Report,
    state: ReportState,
) -> Result<AdminReportView, AppError> {
    let optional = |id: Option<AccountId>| -> Result<Option<AdminAccountView>, AppError> {
        id.map(|id| admin_view(app, reader, id)).transpose()
    };
    Ok(AdminReportView {
        reporter: admin_view(app, reader, report.reporter)?,
        target: admin_view(app, reader, report.target)?,
        assigned: optional(state.assigned_to)?,
        resolved_by: optional(state.resolved_by)?,
        statuses: views::status_views(app, reader, None, report.statuses.iter().copied())?,
        notes: moderation::report_notes(reader, report.id, REPORT_NOTES_MAX, app.bytes_max())?,
        report,
        state,
    })
}

/// Filters of the report list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportFilter {
    pub resolved: bool,
    pub account: Option<AccountId>,
    pub target: Option<AccountId>,
}

/// A page of reports, newest first: open ones unless `resolved` (as Mastodon).
pub fn list_reports(
    app: &App,
    actor: Actor,
    filter: ReportFilter,
    page: Page,
) -> Result<Vec<AdminReportView>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        let found = moderation::page_reports(
            tx,
            page,
            REPORT_SCAN_MAX,
            app.bytes_max(),
            |report, state| {
                state.resolved_ms.is_some() == filter.resolved
                    && filter.account.is_none_or(|id| report.reporter == id)
                    && filter.target.is_none_or(|id| report.target == id)
            },
        )?;
        found
            .into_iter()
            .map(|(report, state)| report_view(app, tx, report, state))
            .collect()
    })
}

pub fn get_report(app: &App, actor: Actor, id: u64) -> Result<AdminReportView, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        let report = moderation::get_report(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let state = moderation::get_report_state(tx, id, app.bytes_max())?;
        report_view(app, tx, report, state)
    })
}

/// Assignment and resolution of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportChange {
    AssignToSelf,
    Unassign,
    Resolve,
    Reopen,
}

fn resolve_in(
    app: &App,
    tx: &WriteTransaction,
    actor: Actor,
    id: u64,
    resolve: bool,
) -> Result<(), AppError> {
    moderation::get_report(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
    let mut state = moderation::get_report_state(tx, id, app.bytes_max())?;
    let now = now_ms();
    if resolve {
        state.resolved_ms = Some(now);
        state.resolved_by = match actor {
            Actor::Operator => None,
            Actor::Account(id) => Some(id),
        };
    } else {
        state.resolved_ms = None;
        state.resolved_by = None;
    }
    state.updated_ms = now;
    moderation::put_report_state(tx, id, &state)?;
    let action = if resolve {
        AuditAction::ResolveReport
    } else {
        AuditAction::ReopenReport
    };
    audit(app, tx, actor, action, format!("report {id}"), "")
}

pub fn change_report(
    app: &App,
    actor: Actor,
    id: u64,
    change: ReportChange,
) -> Result<AdminReportView, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        match change {
            ReportChange::Resolve => resolve_in(app, tx, actor, id, true)?,
            ReportChange::Reopen => resolve_in(app, tx, actor, id, false)?,
            ReportChange::AssignToSelf | ReportChange::Unassign => {
                moderation::get_report(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
                let mut state = moderation::get_report_state(tx, id, app.bytes_max())?;
                let action = if change == ReportChange::AssignToSelf {
                    let Actor::Account(me) = actor else {
                        return Err(AppError::Validation(
                            "The operator cannot be assigned a report".into(),
                        ));
                    };
                    state.assigned_to = Some(me);
                    AuditAction::AssignReport
                } else {
                    state.assigned_to = None;
                    AuditAction::UnassignReport
                };
                state.updated_ms = now_ms();
                moderation::put_report_state(tx, id, &state)?;
                audit(app, tx, actor, action, format!("report {id}"), "")?;
            }
        }
        let report = moderation::get_report(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let state = moderation::get_report_state(tx, id, app.bytes_max())?;
        report_view(app, tx, report, state)
    })
}

/// A page of the audit log, newest first.
pub fn audit_log(app: &App, actor: Actor, page: Page) -> Result<Vec<AuditEntry>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        Ok(moderation::page_audit(tx, page, app.bytes_max())?)
    })
}

/// Names an account for the command line: `alice` (local) or `bob@example.com`.
pub fn account_by_acct(app: &App, acct: &str) -> Result<AccountId, AppError> {
    let acct = acct.trim_start_matches('@');
    app.store
        .read(|tx| accounts::account_id_by_acct(tx, acct))?
        .ok_or(AppError::NotFound)
}

/// What the admin dashboard shows at a glance.
#[derive(Clone, Debug)]
pub struct Dashboard {
    pub users: u64,
    pub pending: u64,
    pub open_reports: u64,
    pub domain_blocks: u64,
    pub file_bytes: u64,
    /// Deliveries waiting to be sent (or retried), and activities waiting to be applied.
    pub deliveries_queued: u64,
    pub inbound_queued: u64,
    /// (host, consecutive failures, first failure ms, last failure ms), worst first.
    pub failing_hosts: Vec<(String, u32, u64, u64)>,
}

/// Failing hosts the dashboard lists.
const FAILING_HOSTS_LISTED: usize = 20;

pub fn dashboard(app: &App, actor: Actor) -> Result<Dashboard, AppError> {
    let file_bytes = std::fs::metadata(app.config.database_path()).map_or(0, |meta| meta.len());
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        Ok(Dashboard {
            users: accounts::count_users(tx)?,
            pending: moderation::count_pending(tx)?,
            open_reports: moderation::count_open_reports(tx, REPORT_SCAN_MAX, app.bytes_max())?,
            domain_blocks: crate::store::domains::count_blocks(tx)?,
            file_bytes,
            deliveries_queued: crate::store::queues::count_deliveries(tx)?,
            inbound_queued: crate::store::queues::count_inbound(tx)?,
            failing_hosts: moderation::failing_hosts(tx, FAILING_HOSTS_LISTED)?,
        })
    })
}

/// Entries and bytes of every table, and the file size (the storage page).
pub fn storage(
    app: &App,
    actor: Actor,
) -> Result<crate::store::maintenance::DatabaseStats, AppError> {
    app.store
        .read(|tx| admin::require_role(app, tx, actor, Role::Moderator))?;
    Ok(app.store.stats(&app.config.database_path())?)
}

/// What a forwarded report carries: the remote account, its reported statuses (by their
/// ids on their server), the comment, and the inbox to send to.
#[derive(Clone, Debug)]
pub struct ForwardedReport {
    pub target_uri: String,
    pub status_uris: Vec<String>,
    pub comment: String,
    pub inbox: String,
}

/// Queues a report's forwarding to the reported account's server, in the report's own
/// transaction. Reports of local accounts stay here.
pub fn forward_report(app: &App, tx: &WriteTransaction, report: &Report) -> Result<bool, AppError> {
    let remote = accounts::get_account(tx, report.target, app.bytes_max())?
        .is_some_and(|account| !account.is_local());
    if remote {
        super::outbox::enqueue(app, tx, OutboxIntent::Flag { report: report.id })?;
    }
    Ok(remote)
}

/// The forwarding of a report, if its target is remote and still known.
pub fn report_to_forward(app: &App, id: u64) -> Result<Option<ForwardedReport>, AppError> {
    app.store.read(|tx| {
        let Some(report) = moderation::get_report(tx, id, app.bytes_max())? else {
            return Ok(None);
        };
        let Some(actor) = accounts::get_remote_actor(tx, report.target, app.bytes_max())? else {
            return Ok(None);
        };
        let mut status_uris = Vec::new();
        for status in &report.statuses {
            if let Some(uri) = crate::store::statuses::status_uri(tx, *status)? {
                status_uris.push(uri);
            }
        }
        Ok(Some(ForwardedReport {
            target_uri: actor.uri,
            status_uris,
            comment: report.comment.clone(),
            inbox: actor.shared_inbox.unwrap_or(actor.inbox),
        }))
    })
}

/// Days one measure covers at most.
pub const MEASURE_DAYS_MAX: u64 = 366;

/// One of the admin dashboard's measures: a total over the range and one value per day.
#[derive(Clone, Debug)]
pub struct Measure {
    pub key: &'static str,
    pub total: u64,
    pub previous_total: u64,
    /// (start of the day in ms, value)
    pub data: Vec<(u64, u64)>,
}

/// The measures Skerry keeps (Mastodon's `new_users`, `opened_reports`, `resolved_reports`)
/// over the days from `start_ms` to `end_ms`; `previous_total` is the same length of time
/// just before. Keys it does not keep are left out.
pub fn measures(
    app: &App,
    actor: Actor,
    keys: &[String],
    start_ms: u64,
    end_ms: u64,
) -> Result<Vec<Measure>, AppError> {
    use crate::util::time::DAY_MS;
    let start = start_ms - start_ms % DAY_MS;
    let end = (end_ms - end_ms % DAY_MS).min(start + (MEASURE_DAYS_MAX - 1) * DAY_MS);
    if end < start {
        return Err(AppError::Validation("end_at is before start_at".into()));
    }
    let days = (end - start) / DAY_MS + 1;
    let previous_start = start.saturating_sub(days * DAY_MS);
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        let mut out = Vec::new();
        for key in keys {
            let (name, times): (&'static str, Vec<u64>) = match key.as_str() {
                "new_users" => (
                    "new_users",
                    accounts::local_user_ids(tx, ACCOUNT_SCAN_MAX)?
                        .into_iter()
                        .filter_map(|id| {
                            accounts::get_account(tx, id, app.bytes_max())
                                .ok()
                                .flatten()
                        })
                        .map(|account| account.created_ms)
                        .collect(),
                ),
                "opened_reports" | "resolved_reports" => {
                    let all = moderation::page_reports(
                        tx,
                        Page::newest(REPORT_SCAN_MAX),
                        REPORT_SCAN_MAX,
                        app.bytes_max(),
                        |_, _| true,
                    )?;
                    if key == "opened_reports" {
                        (
                            "opened_reports",
                            all.iter().map(|(report, _)| report.created_ms).collect(),
                        )
                    } else {
                        (
                            "resolved_reports",
                            all.iter()
                                .filter_map(|(_, state)| state.resolved_ms)
                                .collect(),
                        )
                    }
                }
                _ => continue,
            };
            let mut data: Vec<(u64, u64)> =
                (0..days).map(|day| (start + day * DAY_MS, 0)).collect();
            let mut previous_total = 0;
            for time in times {
                if time >= start && time < end + DAY_MS {
                    data[((time - start) / DAY_MS) as usize].1 += 1;
                } else if time >= previous_start && time < start {
                    previous_total += 1;
                }
            }
            out.push(Measure {
                key: name,
                total: data.iter().map(|(_, value)| value).sum(),
                previous_total,
                data,
            });
        }
        Ok(out)
    })
}

/// `DELETE /api/v1/admin/accounts/:id`: makes a suspended account's purge due now rather
/// than after the grace period and wakes the purge job (`purge_loop`). Admins only
/// (Mastodon's `delete_user_data`).
pub fn delete_content_now(
    app: &App,
    actor: Actor,
    target: AccountId,
) -> Result<AdminAccountView, AppError> {
    let view = app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        check_target(app, tx, actor, target)?;
        let account =
            accounts::get_account(tx, target, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if account.suspended_ms.is_none() {
            return Err(AppError::Forbidden(admin::NOT_ALLOWED));
        }
        moderation::schedule_purge(tx, target, 0)?;
        audit(
            app,
            tx,
            actor,
            AuditAction::DeleteData,
            handle(&account),
            "",
        )?;
        admin_view(app, tx, target)
    })?;
    // The purge job deletes the content in small transactions; the request does not wait.
    app.purge_ready.notify_one();
    Ok(view)
}

/// Deletes the content (statuses and their reblogs) of suspended accounts whose grace period
/// is over, in small transactions; returns the statuses deleted. Peers already saw the
/// suspension on the actor; statuses are not sent as one `Delete` each.
pub fn purge_due(app: &App, now_ms: u64) -> Result<usize, AppError> {
    let due = app
        .store
        .read(|tx| moderation::purges_due(tx, now_ms, PURGE_ACCOUNTS_PER_PASS))?;
    let mut deleted = 0;
    for account in due {
        loop {
            let removed = app.write(|tx| -> Result<usize, AppError> {
                // Unsuspended since the pass began: keep everything.
                if moderation::purge_time(tx, account)?.is_none_or(|when| when > now_ms) {
                    return Ok(0);
                }
                let ids = moderation::status_ids_of(tx, account, PURGE_STATUSES_PER_TX)?;
                if ids.is_empty() {
                    moderation::cancel_purge(tx, account)?;
                    return Ok(0);
                }
                for id in &ids {
                    let id = crate::model::StatusId(*id);
                    for (reblog, reblogger) in
                        Edge::REBLOG.page_of_b(tx, id.0, Page::newest(usize::MAX))?
                    {
                        Edge::REBLOG.remove(tx, reblogger, id.0)?;
                        let reblog = crate::model::StatusId(reblog);
                        if let Some(reblog) =
                            crate::store::statuses::get_status(tx, reblog, app.bytes_max())?
                        {
                            super::statuses::remove_status(app, tx, &reblog)?;
                        }
                    }
                    if let Some(status) =
                        crate::store::statuses::get_status(tx, id, app.bytes_max())?
                    {
                        super::statuses::remove_status(app, tx, &status)?;
                    }
                }
                Ok(ids.len())
            })?;
            if removed == 0 {
                break;
            }
            deleted += removed;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "deleted the content of suspended accounts");
    }
    Ok(deleted)
}

/// Runs `purge_due` every `PURGE_INTERVAL` until `shutdown` turns true.
pub async fn purge_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(PURGE_INTERVAL) => {}
            () = app.purge_ready.notified() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        let now = crate::util::time::now_ms();
        if let Err(error) = app.run(move |app| purge_due(app, now)).await {
            tracing::warn!(%error, "purging suspended accounts failed");
        }
    }
}

/// Adds a moderator's note to a report.
pub fn add_report_note(app: &App, actor: Actor, report: u64, text: &str) -> Result<(), AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > REPORT_NOTE_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Note must be 1 to {REPORT_NOTE_CHARS_MAX} characters"
        )));
    }
    let note = crate::model::ReportNote {
        id: app.next_id(),
        author: match actor {
            Actor::Operator => None,
            Actor::Account(id) => Some(id),
        },
        text: text.to_string(),
        created_ms: crate::util::time::now_ms(),
    };
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        moderation::get_report(tx, report, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if moderation::report_notes(tx, report, REPORT_NOTES_MAX, app.bytes_max())?.len()
            >= REPORT_NOTES_MAX
        {
            return Err(AppError::Validation(format!(
                "A report holds at most {REPORT_NOTES_MAX} notes"
            )));
        }
        moderation::add_report_note(tx, report, &note)?;
        Ok(())
    })
}

/// The daily growth samples of the last `days` days (the storage page's charts).
pub fn storage_growth(
    app: &App,
    actor: Actor,
    now_ms: u64,
    days: u64,
) -> Result<Vec<crate::store::growth::Sample>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        Ok(crate::store::growth::samples(tx, now_ms, days)?)
    })
}
