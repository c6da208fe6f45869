//! Plain Rust types of the domain: no JSON shapes, no storage format, no I/O.
//! May import `util` only. `store::records` decides how these reach the disk, `api::entities`
//! how they reach a client.

pub mod account;
pub mod domain;
pub mod federation;
pub mod filter;
pub mod ids;
pub mod list;
pub mod media;
pub mod moderation;
pub mod notify;
pub mod oauth;
pub mod push;
pub mod scheduled;
pub mod scopes;
pub mod session;
pub mod status;

pub use account::{Account, Field, LocalUser, Marker, RemoteActor, Role};
pub use domain::{DomainAllow, DomainBlock, Severity};
pub use federation::{
    Audience, Delivery, InboundActivity, OutboxIntent, Relay, RelayState, RelayStyle,
};
pub use filter::{Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus};
pub use ids::{AccountId, AppId, MediaId, NotificationId, StatusId, TagId};
pub use list::{List, RepliesPolicy};
pub use media::{
    AvMeta, Blob, BlobHash, Card, CardState, CustomEmoji, Media, MediaKind, MediaState,
};
pub use moderation::{
    AccountModeration, Announcement, AuditAction, AuditEntry, EmailBlock, EmailToken,
    EmailTokenPurpose, Invite, IpBlock, IpSeverity, Mail, ReportNote, ReportState, Rule,
};
pub use notify::{NotificationPolicy, NotificationRequest, PolicyAction};
pub use oauth::{App, AuthCode, Token};
pub use push::{PushDelivery, PushPolicy, PushSubscription};
pub use scheduled::{ScheduledPoll, ScheduledStatus};
pub use scopes::{Scope, ScopeSet};
pub use session::{TwoFactor, WebSession};
pub use status::{Notification, NotificationKind, Poll, PollOption, Report, Status, Visibility};
