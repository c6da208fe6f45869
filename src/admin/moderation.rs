//! Moderation commands of `skerry admin`: account actions and roles, sign-ups waiting for
//! approval, reports, invitations and the audit log. They run the same `app` operations as
//! the admin API, as the operator.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::AdminError;
use crate::app::App;
use crate::app::admin::Actor;
use crate::app::moderation::{self, ActionKind, ReportChange, ReportFilter, Reversal};
use crate::app::{announcements, registrations};
use crate::model::{AccountId, Role};
use crate::store::Page;
use crate::util::time::iso8601_ms;

/// Reports and audit entries one command prints at most.
pub const LISTED_MAX: usize = 1_000;

/// A moderation command, carried inside `Command::Moderation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "moderation", rename_all = "snake_case")]
pub enum ModerationCommand {
    /// warn, sensitive, disable, silence, suspend, or what undoes them (unsensitive, enable,
    /// unsilence, unsuspend), or approve / reject for a pending sign-up.
    Account {
        acct: String,
        action: String,
        #[serde(default)]
        text: String,
    },
    Role {
        acct: String,
        role: String,
    },
    Pending,
    Reports {
        resolved: bool,
    },
    Report {
        id: u64,
        /// resolve, reopen, unassign
        change: String,
    },
    Audit {
        limit: usize,
    },
    InviteCreate {
        expires_in_secs: Option<u64>,
        uses_max: Option<u32>,
    },
    InviteList,
    InviteRevoke {
        code: String,
    },
    AnnouncementPublish {
        text: String,
        ends_in_secs: Option<u64>,
    },
    AnnouncementList,
    AnnouncementDelete {
        id: u64,
    },
    RuleAdd {
        text: String,
        hint: String,
    },
    RuleList,
    RuleRemove {
        id: u64,
    },
}

impl ModerationCommand {
    pub fn name(&self) -> &'static str {
        match self {
            ModerationCommand::Account { .. } => "account_moderate",
            ModerationCommand::Role { .. } => "account_role",
            ModerationCommand::Pending => "account_pending",
            ModerationCommand::Reports { .. } => "report_list",
            ModerationCommand::Report { .. } => "report_change",
            ModerationCommand::Audit { .. } => "audit",
            ModerationCommand::InviteCreate { .. } => "invite_create",
            ModerationCommand::InviteList => "invite_list",
            ModerationCommand::InviteRevoke { .. } => "invite_revoke",
            ModerationCommand::AnnouncementPublish { .. } => "announcement_publish",
            ModerationCommand::AnnouncementList => "announcement_list",
            ModerationCommand::AnnouncementDelete { .. } => "announcement_delete",
            ModerationCommand::RuleAdd { .. } => "rule_add",
            ModerationCommand::RuleList => "rule_list",
            ModerationCommand::RuleRemove { .. } => "rule_remove",
        }
    }
}

fn account(app: &App, acct: &str) -> Result<AccountId, AdminError> {
    moderation::account_by_acct(app, acct)
        .map_err(|_| AdminError::NotFound(format!("no account {acct}")))
}

fn acct_of(app: &App, id: AccountId) -> String {
    moderation::get_account(app, Actor::Operator, id)
        .map(|view| view.view.account.acct())
        .unwrap_or_else(|_| format!("account {}", id.0))
}

pub fn execute(app: &App, command: ModerationCommand) -> Result<String, AdminError> {
    match command {
        ModerationCommand::Account { acct, action, text } => {
            let id = account(app, &acct)?;
            let kind = match action.as_str() {
                "warn" => Some(ActionKind::None),
                other => ActionKind::parse(other),
            };
            if let Some(kind) = kind {
                moderation::act(app, Actor::Operator, id, kind, text, None)?;
                return Ok(format!("{action}: {acct}\n"));
            }
            let reversal = match action.as_str() {
                "unsensitive" => Reversal::Unsensitive,
                "enable" => Reversal::Enable,
                "unsilence" => Reversal::Unsilence,
                "unsuspend" => Reversal::Unsuspend,
                "approve" => Reversal::Approve,
                "reject" => Reversal::Reject,
                "confirm" => Reversal::Confirm,
                _ => {
                    return Err(AdminError::Invalid(format!(
                        "action {action:?}: expected warn, sensitive, unsensitive, disable, \
                         enable, silence, unsilence, suspend, unsuspend, approve, reject or confirm"
                    )));
                }
            };
            moderation::reverse(app, Actor::Operator, id, reversal)?;
            Ok(format!("{action}: {acct}\n"))
        }
        ModerationCommand::Role { acct, role } => {
            let role = Role::parse(&role).ok_or_else(|| {
                AdminError::Invalid(format!(
                    "role {role:?}: expected owner, admin, moderator or user"
                ))
            })?;
            let id = account(app, &acct)?;
            moderation::change_role(app, Actor::Operator, id, role)?;
            Ok(format!("{acct} is now {}\n", role.name()))
        }
        ModerationCommand::Pending => {
            let mut out = String::new();
            for id in registrations::pending_accounts(app, Actor::Operator)? {
                let view = moderation::get_account(app, Actor::Operator, id)?;
                let _ = writeln!(
                    out,
                    "{}  {}  {}",
                    view.view.account.acct(),
                    view.user.map(|user| user.email).unwrap_or_default(),
                    view.moderation.reason
                );
            }
            Ok(out)
        }
        ModerationCommand::Reports { resolved } => {
            let filter = ReportFilter {
                resolved,
                ..ReportFilter::default()
            };
            let reports =
                moderation::list_reports(app, Actor::Operator, filter, Page::newest(LISTED_MAX))?;
            let mut out = String::new();
            for view in &reports {
                let _ = writeln!(
                    out,
                    "{}  {}  {} reported {}: {}",
                    view.report.id,
                    iso8601_ms(view.report.created_ms),
                    view.reporter.view.account.acct(),
                    view.target.view.account.acct(),
                    view.report.comment.replace('\n', " ")
                );
            }
            let _ = writeln!(
                out,
                "{} {} report(s)",
                reports.len(),
                if resolved { "resolved" } else { "open" }
            );
            Ok(out)
        }
        ModerationCommand::Report { id, change } => {
            let change = match change.as_str() {
                "resolve" => ReportChange::Resolve,
                "reopen" => ReportChange::Reopen,
                "unassign" => ReportChange::Unassign,
                _ => {
                    return Err(AdminError::Invalid(format!(
                        "{change:?}: expected resolve, reopen or unassign"
                    )));
                }
            };
            let view = moderation::change_report(app, Actor::Operator, id, change)?;
            Ok(format!(
                "report {id}: {}\n",
                if view.state.resolved_ms.is_some() {
                    "resolved"
                } else {
                    "open"
                }
            ))
        }
        ModerationCommand::Audit { limit } => {
            let entries =
                moderation::audit_log(app, Actor::Operator, Page::newest(limit.min(LISTED_MAX)))?;
            let mut out = String::new();
            for entry in entries {
                let who = entry
                    .actor
                    .map_or_else(|| "operator".to_string(), |id| acct_of(app, id));
                let _ = write!(
                    out,
                    "{}  {who}  {}  {}",
                    iso8601_ms(entry.created_ms),
                    entry.action.name(),
                    entry.target
                );
                if !entry.text.is_empty() {
                    let _ = write!(out, "  # {}", entry.text.replace('\n', " "));
                }
                out.push('\n');
            }
            Ok(out)
        }
        ModerationCommand::InviteCreate {
            expires_in_secs,
            uses_max,
        } => {
            let invite =
                registrations::create_invite(app, Actor::Operator, expires_in_secs, uses_max)?;
            Ok(format!(
                "{}\n{}/invite/{}\n",
                invite.code, app.base_url, invite.code
            ))
        }
        ModerationCommand::InviteList => {
            let mut out = String::new();
            for invite in registrations::list_invites(app, Actor::Operator)? {
                let _ = writeln!(
                    out,
                    "{}  uses {}/{}  expires {}{}",
                    invite.code,
                    invite.uses,
                    invite
                        .uses_max
                        .map_or_else(|| "∞".to_string(), |max| max.to_string()),
                    invite.expires_ms.map_or_else(|| "never".into(), iso8601_ms),
                    if invite.revoked { "  (revoked)" } else { "" }
                );
            }
            Ok(out)
        }
        ModerationCommand::InviteRevoke { code } => {
            registrations::revoke_invite(app, Actor::Operator, &code)?;
            Ok(format!("Revoked {code}\n"))
        }
        ModerationCommand::AnnouncementPublish { text, ends_in_secs } => {
            let announcement = announcements::publish(app, Actor::Operator, &text, ends_in_secs)?;
            Ok(format!("Published announcement {}\n", announcement.id))
        }
        ModerationCommand::AnnouncementList => {
            let mut out = String::new();
            for announcement in announcements::all(app, Actor::Operator)? {
                let _ = writeln!(
                    out,
                    "{}  {}  until {}  {}",
                    announcement.id,
                    iso8601_ms(announcement.published_ms),
                    announcement
                        .ends_ms
                        .map_or_else(|| "deleted".into(), iso8601_ms),
                    announcement.text.replace('\n', " ")
                );
            }
            Ok(out)
        }
        ModerationCommand::AnnouncementDelete { id } => {
            announcements::delete(app, Actor::Operator, id)?;
            Ok(format!("Deleted announcement {id}\n"))
        }
        ModerationCommand::RuleAdd { text, hint } => {
            let rule = crate::app::rules::add(app, Actor::Operator, &text, &hint)?;
            Ok(format!("Added rule {}\n", rule.id))
        }
        ModerationCommand::RuleList => {
            let mut out = String::new();
            for rule in crate::app::rules::list(app)? {
                out.push_str(&format!("{}\t{}\n", rule.id, rule.text));
            }
            Ok(out)
        }
        ModerationCommand::RuleRemove { id } => {
            crate::app::rules::remove(app, Actor::Operator, id)?;
            Ok(format!("Removed rule {id}\n"))
        }
    }
}
