//! Web Push subscriptions (one per access token, as Mastodon) and their deliveries.

use serde::{Deserialize, Serialize};

use super::{AccountId, NotificationId};

/// Whose notifications are pushed (Mastodon's `policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum PushPolicy {
    All = 0,
    Followed = 1,
    Follower = 2,
    None = 3,
}

impl PushPolicy {
    pub const ALL: [PushPolicy; 4] = [
        PushPolicy::All,
        PushPolicy::Followed,
        PushPolicy::Follower,
        PushPolicy::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PushPolicy::All => "all",
            PushPolicy::Followed => "followed",
            PushPolicy::Follower => "follower",
            PushPolicy::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<PushPolicy> {
        Self::ALL.into_iter().find(|policy| policy.name() == text)
    }
}

impl From<PushPolicy> for u8 {
    fn from(policy: PushPolicy) -> u8 {
        policy as u8
    }
}

impl TryFrom<u8> for PushPolicy {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::ALL
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown push policy {value}"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscription {
    pub id: u64,
    pub account: AccountId,
    /// The SHA-256 of the access token it belongs to.
    pub token_hash: Vec<u8>,
    pub endpoint: String,
    /// The subscriber's P-256 public key, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// The subscriber's authentication secret (16 bytes).
    pub auth: Vec<u8>,
    /// Names of the alerts that are on (`mention`, `favourite`, …).
    pub alerts: Vec<String>,
    pub policy: PushPolicy,
    pub created_ms: u64,
    /// The token's text, which every payload carries so that the app can fetch the
    /// notification (Mastodon's `access_token`). Tokens are otherwise stored only as hashes;
    /// this copy goes with the subscription, which goes with the token. Subscriptions written
    /// before it existed have it empty.
    #[serde(default)]
    pub access_token: String,
}

/// A notification to push to one subscription, waiting in the durable queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDelivery {
    pub id: u64,
    pub token_hash: Vec<u8>,
    pub recipient: AccountId,
    pub notification: NotificationId,
    pub attempts: u32,
    pub due_ms: u64,
}
