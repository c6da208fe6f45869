//! Scheduled statuses: a post kept with its parameters until its time comes.

use serde::{Deserialize, Serialize};

use super::{AccountId, AppId, StatusId, Visibility};

/// A status to be posted at `scheduled_ms` by the scheduler (`app::scheduled`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledStatus {
    pub id: u64,
    pub owner: AccountId,
    pub scheduled_ms: u64,
    pub text: String,
    pub spoiler_text: String,
    pub visibility: Option<Visibility>,
    pub in_reply_to_id: Option<StatusId>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub application_id: Option<AppId>,
    /// The poll as asked for: options, seconds it runs once posted, multiple choice.
    pub poll: Option<ScheduledPoll>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    pub expires_in_secs: u64,
    pub multiple: bool,
}
