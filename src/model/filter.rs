//! Filters (Mastodon's v2 filters): keywords and statuses that warn about, blur or hide
//! statuses in chosen contexts.

use serde::{Deserialize, Serialize};

use super::{AccountId, StatusId};

/// Where a filter applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FilterContext {
    Home,
    Notifications,
    Public,
    Thread,
    Account,
}

impl FilterContext {
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];

    pub fn parse(name: &str) -> Option<FilterContext> {
        FilterContext::ALL
            .into_iter()
            .find(|context| context.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
}

/// What a matching filter does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterAction {
    Warn,
    Hide,
    Blur,
}

impl FilterAction {
    pub fn parse(name: &str) -> Option<FilterAction> {
        match name {
            "warn" => Some(FilterAction::Warn),
            "hide" => Some(FilterAction::Hide),
            "blur" => Some(FilterAction::Blur),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterKeyword {
    pub id: u64,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterStatus {
    pub id: u64,
    pub status_id: StatusId,
}

/// One filter with its keywords and statuses (kept in the record: they are few and always
/// read together).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub id: u64,
    pub owner: AccountId,
    pub title: String,
    pub context: Vec<FilterContext>,
    pub action: FilterAction,
    /// When it stops applying, if it expires.
    pub expires_ms: Option<u64>,
    pub keywords: Vec<FilterKeyword>,
    pub statuses: Vec<FilterStatus>,
}

impl Filter {
    pub fn is_active(&self, now_ms: u64) -> bool {
        self.expires_ms.is_none_or(|at| at > now_ms)
    }
}
