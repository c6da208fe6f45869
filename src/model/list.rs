//! Lists: an account's named groups of accounts it follows, each with its own timeline.

use serde::{Deserialize, Serialize};

use super::AccountId;

/// Which replies a list timeline shows (Mastodon's `replies_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RepliesPolicy {
    /// Replies to any account the list's owner follows.
    Followed,
    /// Replies to members of the list.
    List,
    /// No replies to others.
    None,
}

impl RepliesPolicy {
    pub fn parse(name: &str) -> Option<RepliesPolicy> {
        match name {
            "followed" => Some(RepliesPolicy::Followed),
            "list" => Some(RepliesPolicy::List),
            "none" => Some(RepliesPolicy::None),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct List {
    pub id: u64,
    pub owner: AccountId,
    pub title: String,
    pub replies_policy: RepliesPolicy,
    /// Statuses of members stay out of the owner's home feed (Mastodon 4.2).
    pub exclusive: bool,
    pub created_ms: u64,
}
