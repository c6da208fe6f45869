//! Moderation state kept beside the records it is about: what moderators did to an account,
//! the state of a report, the audit log, and invitations. Kept out of `Account` and `Report`
//! so that the records every timeline reads stay small and unchanged.

use serde::{Deserialize, Serialize};

use super::AccountId;

/// What moderators did to an account (local or remote). Absent means nothing was done.
/// Suspension itself is `Account::suspended_ms`, which every reader already honours.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountModeration {
    /// Limited (Mastodon's "silence"): out of public timelines, notifies only followers.
    pub silenced_ms: Option<u64>,
    /// Media of its statuses marked sensitive.
    pub sensitized_ms: Option<u64>,
    /// Login disabled (local accounts); its tokens stop working.
    pub disabled_ms: Option<u64>,
    /// Signed up under `registrations = "approval"` and not yet approved.
    pub pending: bool,
    /// Why the person asked to join (approval mode).
    pub reason: String,
    /// The invitation used to sign up, if any.
    pub invite_code: Option<String>,
    /// Warnings sent, including those with a harder action.
    pub warnings: u32,
    /// Signed up while e-mail was on and has not opened the confirmation link yet (or a
    /// moderator has not confirmed it): cannot log in. Added after the first release.
    #[serde(default)]
    pub unconfirmed: bool,
}

impl AccountModeration {
    pub fn is_empty(&self) -> bool {
        *self == AccountModeration::default()
    }
}

/// The kinds of `POST /api/v1/admin/accounts/:id/action`, plus what undoes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum AuditAction {
    Warn = 0,
    Sensitize = 1,
    Unsensitize = 2,
    Disable = 3,
    Enable = 4,
    Silence = 5,
    Unsilence = 6,
    Suspend = 7,
    Unsuspend = 8,
    Approve = 9,
    Reject = 10,
    ChangeRole = 11,
    DeleteData = 12,
    AssignReport = 13,
    UnassignReport = 14,
    ResolveReport = 15,
    ReopenReport = 16,
    BlockDomain = 17,
    UpdateDomainBlock = 18,
    UnblockDomain = 19,
    AllowDomain = 20,
    DisallowDomain = 21,
    CreateInvite = 22,
    RevokeInvite = 23,
    BlockIp = 24,
    UnblockIp = 25,
    BlockEmail = 26,
    UnblockEmail = 27,
    PublishAnnouncement = 28,
    DeleteAnnouncement = 29,
    Confirm = 30,
    CreateRule = 31,
    DeleteRule = 32,
    ChangeSetting = 33,
}

const AUDIT_ACTIONS: [AuditAction; 34] = [
    AuditAction::Warn,
    AuditAction::Sensitize,
    AuditAction::Unsensitize,
    AuditAction::Disable,
    AuditAction::Enable,
    AuditAction::Silence,
    AuditAction::Unsilence,
    AuditAction::Suspend,
    AuditAction::Unsuspend,
    AuditAction::Approve,
    AuditAction::Reject,
    AuditAction::ChangeRole,
    AuditAction::DeleteData,
    AuditAction::AssignReport,
    AuditAction::UnassignReport,
    AuditAction::ResolveReport,
    AuditAction::ReopenReport,
    AuditAction::BlockDomain,
    AuditAction::UpdateDomainBlock,
    AuditAction::UnblockDomain,
    AuditAction::AllowDomain,
    AuditAction::DisallowDomain,
    AuditAction::CreateInvite,
    AuditAction::RevokeInvite,
    AuditAction::BlockIp,
    AuditAction::UnblockIp,
    AuditAction::BlockEmail,
    AuditAction::UnblockEmail,
    AuditAction::PublishAnnouncement,
    AuditAction::DeleteAnnouncement,
    AuditAction::Confirm,
    AuditAction::CreateRule,
    AuditAction::DeleteRule,
    AuditAction::ChangeSetting,
];

impl AuditAction {
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::Warn => "warn",
            AuditAction::Sensitize => "sensitive",
            AuditAction::Unsensitize => "unsensitive",
            AuditAction::Disable => "disable",
            AuditAction::Enable => "enable",
            AuditAction::Silence => "silence",
            AuditAction::Unsilence => "unsilence",
            AuditAction::Suspend => "suspend",
            AuditAction::Unsuspend => "unsuspend",
            AuditAction::Approve => "approve",
            AuditAction::Reject => "reject",
            AuditAction::ChangeRole => "change_role",
            AuditAction::DeleteData => "delete_data",
            AuditAction::AssignReport => "assign_report",
            AuditAction::UnassignReport => "unassign_report",
            AuditAction::ResolveReport => "resolve_report",
            AuditAction::ReopenReport => "reopen_report",
            AuditAction::BlockDomain => "block_domain",
            AuditAction::UpdateDomainBlock => "update_domain_block",
            AuditAction::UnblockDomain => "unblock_domain",
            AuditAction::AllowDomain => "allow_domain",
            AuditAction::DisallowDomain => "disallow_domain",
            AuditAction::CreateInvite => "create_invite",
            AuditAction::RevokeInvite => "revoke_invite",
            AuditAction::BlockIp => "block_ip",
            AuditAction::UnblockIp => "unblock_ip",
            AuditAction::BlockEmail => "block_email",
            AuditAction::UnblockEmail => "unblock_email",
            AuditAction::PublishAnnouncement => "publish_announcement",
            AuditAction::DeleteAnnouncement => "delete_announcement",
            AuditAction::Confirm => "confirm",
            AuditAction::CreateRule => "create_rule",
            AuditAction::DeleteRule => "delete_rule",
            AuditAction::ChangeSetting => "change_setting",
        }
    }
}

impl From<AuditAction> for u8 {
    fn from(action: AuditAction) -> u8 {
        action as u8
    }
}

impl TryFrom<u8> for AuditAction {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        AUDIT_ACTIONS
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown audit action {value}"))
    }
}

/// One line of the audit log: who did what to what, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    /// `None`: the operator, through `skerry admin`.
    pub actor: Option<AccountId>,
    pub action: AuditAction,
    /// What it was done to, as people read it (`@alice`, `example.com`, `report 123`).
    pub target: String,
    /// The reason or note given with the action.
    pub text: String,
    pub created_ms: u64,
}

/// Where a report stands. Absent means open, unassigned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportState {
    pub assigned_to: Option<AccountId>,
    /// Set when resolved; cleared by reopening.
    pub resolved_ms: Option<u64>,
    pub resolved_by: Option<AccountId>,
    pub updated_ms: u64,
}

/// An announcement to every local user (`/api/v1/announcements`), published by an admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: u64,
    /// As the admin typed it, and as HTML (paragraphs, links).
    pub text: String,
    pub html: String,
    pub published_ms: u64,
    /// Not shown after this time.
    pub ends_ms: Option<u64>,
}

/// A moderator's note on a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportNote {
    pub id: u64,
    pub author: Option<AccountId>,
    pub text: String,
    pub created_ms: u64,
}

/// An invitation link: sign-up with its code works even when registrations are closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub id: u64,
    pub code: String,
    /// `None`: made by the operator.
    pub created_by: Option<AccountId>,
    pub created_ms: u64,
    pub expires_ms: Option<u64>,
    pub uses_max: Option<u32>,
    pub uses: u32,
    pub revoked: bool,
}

impl Invite {
    /// Whether the invitation admits one more account at `now_ms`.
    pub fn is_usable(&self, now_ms: u64) -> bool {
        !self.revoked
            && self.expires_ms.is_none_or(|expires| now_ms < expires)
            && self.uses_max.is_none_or(|max| self.uses < max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_round_trip_through_their_byte() {
        for action in AUDIT_ACTIONS {
            assert_eq!(AuditAction::try_from(u8::from(action)), Ok(action));
        }
        assert!(AuditAction::try_from(AUDIT_ACTIONS.len() as u8).is_err());
    }

    #[test]
    fn invites_run_out_by_time_uses_and_revocation() {
        let mut invite = Invite {
            id: 1,
            code: "abc".into(),
            created_by: None,
            created_ms: 0,
            expires_ms: Some(1_000),
            uses_max: Some(1),
            uses: 0,
            revoked: false,
        };
        assert!(invite.is_usable(999));
        assert!(!invite.is_usable(1_000));
        invite.uses = 1;
        assert!(!invite.is_usable(0));
        invite.uses = 0;
        invite.revoked = true;
        assert!(!invite.is_usable(0));
    }
}

/// What an IP block does (Mastodon's severities).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum IpSeverity {
    SignUpRequiresApproval = 0,
    SignUpBlock = 1,
    NoAccess = 2,
}

impl IpSeverity {
    pub fn name(self) -> &'static str {
        match self {
            IpSeverity::SignUpRequiresApproval => "sign_up_requires_approval",
            IpSeverity::SignUpBlock => "sign_up_block",
            IpSeverity::NoAccess => "no_access",
        }
    }

    pub fn parse(name: &str) -> Option<IpSeverity> {
        [
            IpSeverity::SignUpRequiresApproval,
            IpSeverity::SignUpBlock,
            IpSeverity::NoAccess,
        ]
        .into_iter()
        .find(|severity| severity.name() == name)
    }
}

impl From<IpSeverity> for u8 {
    fn from(severity: IpSeverity) -> u8 {
        severity as u8
    }
}

impl TryFrom<u8> for IpSeverity {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        [
            IpSeverity::SignUpRequiresApproval,
            IpSeverity::SignUpBlock,
            IpSeverity::NoAccess,
        ]
        .get(usize::from(value))
        .copied()
        .ok_or_else(|| format!("unknown IP block severity {value}"))
    }
}

/// A block of an address range: sign-ups need approval, sign-ups refused, or no access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpBlock {
    pub id: u64,
    /// CIDR text, normalized (`192.0.2.0/24`, `2001:db8::/32`).
    pub network: String,
    pub severity: IpSeverity,
    pub comment: String,
    pub created_ms: u64,
    pub expires_ms: Option<u64>,
}

/// A blocked e-mail address, kept only as the SHA-256 (hex) of its canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailBlock {
    pub id: u64,
    pub hash: String,
}

/// A message waiting in the durable mail queue (`app::mail`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: u64,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Not sent before this time (retries back off).
    pub due_ms: u64,
    /// Failed sending attempts so far.
    pub attempts: u32,
}

/// What an e-mailed link lets its holder do once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum EmailTokenPurpose {
    Confirm = 0,
    ResetPassword = 1,
}

impl From<EmailTokenPurpose> for u8 {
    fn from(purpose: EmailTokenPurpose) -> u8 {
        purpose as u8
    }
}

impl TryFrom<u8> for EmailTokenPurpose {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(EmailTokenPurpose::Confirm),
            1 => Ok(EmailTokenPurpose::ResetPassword),
            other => Err(format!("unknown e-mail token purpose {other}")),
        }
    }
}

/// A single-use token sent by e-mail; stored under the SHA-256 of the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailToken {
    pub account: AccountId,
    pub purpose: EmailTokenPurpose,
    pub expires_ms: u64,
}

/// A server rule (`/api/v1/instance/rules`), kept in the database and edited by admins;
/// seeded once from `instance.rules`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: u64,
    pub text: String,
    /// Longer explanation (Mastodon's `hint`); may be empty.
    pub hint: String,
}
