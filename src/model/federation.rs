//! What federation keeps in durable queues: what to tell peers (`OutboxIntent`), the signed
//! deliveries that carry it (`Delivery`), and verified activities waiting to be applied
//! (`InboundActivity`).

use serde::{Deserialize, Serialize};

use super::{AccountId, StatusId};

/// A local change that peers must hear about, recorded in the same transaction as the change.
/// The federation worker turns it into an activity and one delivery per inbox; what it needs
/// after the change is gone (a deleted status's id) is carried here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxIntent {
    CreateStatus {
        status: StatusId,
    },
    UpdateStatus {
        status: StatusId,
    },
    DeleteStatus {
        author: AccountId,
        status: StatusId,
        audience: Audience,
    },
    Announce {
        reblog: StatusId,
    },
    UndoAnnounce {
        author: AccountId,
        reblog: StatusId,
        original_uri: String,
        audience: Audience,
    },
    Like {
        actor: AccountId,
        status: StatusId,
    },
    UndoLike {
        actor: AccountId,
        status: StatusId,
    },
    Follow {
        follower: AccountId,
        followee: AccountId,
        follow_id: u64,
    },
    UndoFollow {
        follower: AccountId,
        followee: AccountId,
        follow_id: u64,
    },
    Accept {
        followee: AccountId,
        follower: AccountId,
        follow_activity: String,
    },
    Reject {
        followee: AccountId,
        follower: AccountId,
        follow_activity: String,
    },
    Block {
        blocker: AccountId,
        blocked: AccountId,
        block_id: u64,
    },
    UndoBlock {
        blocker: AccountId,
        blocked: AccountId,
        block_id: u64,
    },
    UpdateActor {
        account: AccountId,
    },
    /// A local account's vote in a remote poll: one `Create` of a `Note` per choice.
    Vote {
        voter: AccountId,
        status: StatusId,
        choices: Vec<u32>,
    },
    /// A report forwarded to the reported account's server, as a `Flag` from the instance
    /// actor (the reporter stays anonymous, as in Mastodon).
    Flag {
        report: u64,
    },
    /// The end of a relay subscription: an `Undo` of the instance actor's `Follow`, sent to
    /// where the Follow went (the relay record is gone by then).
    RelayUndo {
        inbox: String,
        follow_id: String,
        object: String,
    },
}

/// Who received something that is now being taken back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// The author's followers were addressed.
    pub followers: bool,
    /// Accounts addressed directly (mentions, the original's author).
    pub accounts: Vec<AccountId>,
}

/// One signed POST of one activity to one inbox, retried until it lands or gives up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub inbox: String,
    /// The activity JSON, exactly as it will be sent.
    pub body: Vec<u8>,
    /// The local account that signs; `None` for the instance actor.
    pub signer: Option<AccountId>,
    pub attempts: u32,
    pub created_ms: u64,
}

/// An activity whose signature was verified, waiting to be applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundActivity {
    /// The id of the actor whose key signed the request.
    pub signer: String,
    pub body: Vec<u8>,
    pub received_ms: u64,
}

/// How a relay is subscribed to (FEDERATION.md, *Relays*).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayStyle {
    /// The URL is the relay's inbox: a `Follow` of the public collection is sent there
    /// (Mastodon, pub-relay, activity-relay).
    Mastodon,
    /// The URL is the relay's actor: the instance actor follows it (Pleroma, Akkoma, aode-relay).
    LitePub,
}

/// Where a relay subscription stands. `Failing` is not stored: it is shown when deliveries to
/// the relay's host keep failing (`app::relays`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayState {
    /// The Follow is (being) sent; no answer yet.
    Pending,
    Accepted,
    Rejected,
    Failing,
}

impl RelayState {
    pub fn name(self) -> &'static str {
        match self {
            RelayState::Pending => "pending",
            RelayState::Accepted => "accepted",
            RelayState::Rejected => "rejected",
            RelayState::Failing => "failing",
        }
    }
}

/// A relay this instance subscribes to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    pub id: u64,
    /// What the admin gave: the relay's inbox (Mastodon style) or its actor (LitePub style).
    pub url: String,
    pub style: RelayStyle,
    pub state: RelayState,
    /// The relay's actor id, once known (from the LitePub fetch or the signer of its Accept).
    pub actor: Option<String>,
    /// Where the Follow went, once sent (the Undo goes there too).
    pub inbox: Option<String>,
    pub created_ms: u64,
    /// When the relay last delivered something (or answered).
    pub last_seen_ms: Option<u64>,
    /// Activities received per UTC day, newest last: (days since 1970, count), a few days.
    pub received_days: Vec<(u32, u32)>,
}
