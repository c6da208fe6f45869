//! Moderation of whole servers: domain blocks and allows.

use serde::{Deserialize, Serialize};

/// How hard a domain is blocked, as Mastodon's severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Severity {
    /// Only the options below (reject media, reject reports) apply.
    Noop = 0,
    /// Its accounts are hidden from public timelines and their posts reach only followers.
    Silence = 1,
    /// Nothing is accepted from it and nothing is sent to it.
    Suspend = 2,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Noop => "noop",
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        [Severity::Noop, Severity::Silence, Severity::Suspend]
            .into_iter()
            .find(|severity| severity.name() == text)
    }
}

impl From<Severity> for u8 {
    fn from(severity: Severity) -> u8 {
        severity as u8
    }
}

impl TryFrom<u8> for Severity {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        [Severity::Noop, Severity::Silence, Severity::Suspend]
            .get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("unknown severity {value}"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainBlock {
    pub id: u64,
    /// Lowercase host; a block covers its subdomains too.
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub obfuscate: bool,
    pub created_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainAllow {
    pub id: u64,
    pub domain: String,
    pub created_ms: u64,
}
