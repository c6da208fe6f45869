//! The notification policy (Mastodon 4.3+) and notification requests: notifications from
//! accounts that match a condition of the policy are accepted, filtered into a request, or
//! dropped.

use serde::{Deserialize, Serialize};

use super::{AccountId, StatusId};

/// What a policy does with a notification that meets one of its conditions; the most severe
/// action of every condition met wins (`Drop` > `Filter` > `Accept`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum PolicyAction {
    Accept = 0,
    Filter = 1,
    Drop = 2,
}

impl PolicyAction {
    pub const ALL: [PolicyAction; 3] = [
        PolicyAction::Accept,
        PolicyAction::Filter,
        PolicyAction::Drop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyAction::Accept => "accept",
            PolicyAction::Filter => "filter",
            PolicyAction::Drop => "drop",
        }
    }

    pub fn parse(text: &str) -> Option<PolicyAction> {
        Self::ALL.into_iter().find(|action| action.name() == text)
    }
}

impl From<PolicyAction> for u8 {
    fn from(action: PolicyAction) -> u8 {
        action as u8
    }
}

impl TryFrom<u8> for PolicyAction {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::ALL
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown policy action {value}"))
    }
}

/// A user's notification policy (Mastodon's `NotificationPolicy`, v2 form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPolicy {
    /// Senders the user does not follow.
    pub for_not_following: PolicyAction,
    /// Senders who do not follow the user.
    pub for_not_followers: PolicyAction,
    /// Senders whose account is younger than 30 days.
    pub for_new_accounts: PolicyAction,
    /// Unsolicited private mentions from senders the user does not follow.
    pub for_private_mentions: PolicyAction,
    /// Senders limited by a moderator (or on a limited domain) the user does not follow.
    pub for_limited_accounts: PolicyAction,
}

impl Default for NotificationPolicy {
    /// Mastodon's defaults: private mentions and limited accounts are filtered.
    fn default() -> Self {
        NotificationPolicy {
            for_not_following: PolicyAction::Accept,
            for_not_followers: PolicyAction::Accept,
            for_new_accounts: PolicyAction::Accept,
            for_private_mentions: PolicyAction::Filter,
            for_limited_accounts: PolicyAction::Filter,
        }
    }
}

/// Filtered notifications from one sender, waiting for the recipient to accept or dismiss
/// them (Mastodon's `NotificationRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    pub id: u64,
    pub recipient: AccountId,
    pub from_account: AccountId,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// Filtered notifications kept for this request.
    pub notifications_count: u32,
    pub last_status: Option<StatusId>,
}
