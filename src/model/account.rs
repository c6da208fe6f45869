//! Accounts (local and remote) and the private part of local users.

use serde::{Deserialize, Serialize};

use super::AccountId;

/// Profile metadata fields shown on an account ("name: value" rows).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// The value as HTML (links made clickable for local accounts, sanitized for remote ones).
    pub value_html: String,
    /// The value as the owner typed it (local accounts; empty for remote ones).
    pub value_source: String,
}

/// An account as every viewer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    /// `None` for local accounts: their URLs are derived from the configured host.
    pub domain: Option<String>,
    pub display_name: String,
    /// The bio as HTML.
    pub note_html: String,
    /// The bio as the owner typed it (local accounts only).
    pub note_source: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub fields: Vec<Field>,
    pub created_ms: u64,
    /// Set once the account is suspended; a suspended account is shown to nobody.
    pub suspended_ms: Option<u64>,
    /// Public statuses may be found by full-text search (Mastodon 4.2's `indexable`, off
    /// unless the owner opts in). Added after format version 1 was first written: older
    /// records lack it and read as `false`.
    #[serde(default)]
    pub indexable: bool,
    /// The avatar and header images (local accounts; `media` records). Added after format
    /// version 1 was first written: older records lack them.
    #[serde(default)]
    pub avatar: Option<super::MediaId>,
    #[serde(default)]
    pub header: Option<super::MediaId>,
}

impl Account {
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }

    /// `user` for local accounts, `user@host` for remote ones, as Mastodon's `acct`.
    pub fn acct(&self) -> String {
        match &self.domain {
            None => self.username.clone(),
            Some(domain) => format!("{}@{domain}", self.username),
        }
    }
}

/// Roles with Mastodon's permission set, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Role {
    User = 0,
    Moderator = 1,
    Admin = 2,
    Owner = 3,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "user" => Some(Role::User),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

impl From<Role> for u8 {
    fn from(role: Role) -> u8 {
        role as u8
    }
}

impl TryFrom<u8> for Role {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        [Role::User, Role::Moderator, Role::Admin, Role::Owner]
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown role {value}"))
    }
}

/// What only a local account has: credentials, role and preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUser {
    pub account_id: AccountId,
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub default_visibility: super::Visibility,
    pub default_sensitive: bool,
    pub default_language: Option<String>,
}

/// A timeline read position (`/api/v1/markers`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub last_read_id: u64,
    pub version: u32,
    pub updated_ms: u64,
}

/// What federation needs to know of a remote account: where it lives and its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteActor {
    pub account_id: AccountId,
    /// The actor's id: an absolute URL on its origin.
    pub uri: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers: Option<String>,
    /// The profile page (`url`), shown to users.
    pub url: Option<String>,
    pub key_id: String,
    /// The key as DER (`util::pem::public_key_der` of the actor's `publicKeyPem`): an SPKI,
    /// or PKCS#1 for an `RSA PUBLIC KEY`; `sig::PublicKey::from_der` reads both. A PEM that
    /// did not decode is kept as its text, which never verifies. PEM text until schema
    /// version 3: DER is three quarters of its size and not base64, which zstd cannot shrink.
    /// Empty for an actor that never signed to us (`app::remote::ActorInput::keep_key`).
    #[serde(with = "serde_bytes")]
    pub public_key_der: Vec<u8>,
    /// When the document was last fetched or pushed to us.
    pub fetched_ms: u64,
}
