//! OAuth scopes as Mastodon defines them: top-level `read`, `write`, `follow`, `push`,
//! `profile`, `admin:read`, `admin:write`, and the granular `read:statuses` and the like.
//! A set is a bitset of granular scopes; top-level scopes expand when parsed.

use serde::{Deserialize, Serialize};

/// One granular scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    ReadAccounts,
    ReadBlocks,
    ReadBookmarks,
    ReadFavourites,
    ReadFilters,
    ReadFollows,
    ReadLists,
    ReadMutes,
    ReadNotifications,
    ReadSearch,
    ReadStatuses,
    WriteAccounts,
    WriteBlocks,
    WriteBookmarks,
    WriteConversations,
    WriteFavourites,
    WriteFilters,
    WriteFollows,
    WriteLists,
    WriteMedia,
    WriteMutes,
    WriteNotifications,
    WriteReports,
    WriteStatuses,
    Push,
    Profile,
    AdminRead,
    AdminWrite,
}

const GRANULAR: [(&str, Scope); 28] = [
    ("read:accounts", Scope::ReadAccounts),
    ("read:blocks", Scope::ReadBlocks),
    ("read:bookmarks", Scope::ReadBookmarks),
    ("read:favourites", Scope::ReadFavourites),
    ("read:filters", Scope::ReadFilters),
    ("read:follows", Scope::ReadFollows),
    ("read:lists", Scope::ReadLists),
    ("read:mutes", Scope::ReadMutes),
    ("read:notifications", Scope::ReadNotifications),
    ("read:search", Scope::ReadSearch),
    ("read:statuses", Scope::ReadStatuses),
    ("write:accounts", Scope::WriteAccounts),
    ("write:blocks", Scope::WriteBlocks),
    ("write:bookmarks", Scope::WriteBookmarks),
    ("write:conversations", Scope::WriteConversations),
    ("write:favourites", Scope::WriteFavourites),
    ("write:filters", Scope::WriteFilters),
    ("write:follows", Scope::WriteFollows),
    ("write:lists", Scope::WriteLists),
    ("write:media", Scope::WriteMedia),
    ("write:mutes", Scope::WriteMutes),
    ("write:notifications", Scope::WriteNotifications),
    ("write:reports", Scope::WriteReports),
    ("write:statuses", Scope::WriteStatuses),
    ("push", Scope::Push),
    ("profile", Scope::Profile),
    ("admin:read", Scope::AdminRead),
    ("admin:write", Scope::AdminWrite),
];

impl Scope {
    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// A set of granular scopes, with the text it was parsed from for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSet {
    bits: u64,
    /// The scopes as the client asked for them, space separated (`read write follow`).
    text: String,
}

impl ScopeSet {
    /// Parses a space- or plus-separated scope list. An empty list means `read`, as Mastodon.
    pub fn parse(text: &str) -> Result<ScopeSet, String> {
        let mut bits = 0u64;
        let mut names: Vec<&str> = Vec::new();
        for name in text.split([' ', '+']).filter(|name| !name.is_empty()) {
            bits |= expand(name).ok_or_else(|| format!("unknown scope {name:?}"))?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if names.is_empty() {
            return ScopeSet::parse("read");
        }
        Ok(ScopeSet {
            bits,
            text: names.join(" "),
        })
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.bits & scope.bit() != 0
    }

    /// Whether every scope of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.bits & !other.bits == 0
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.text.split(' ')
    }
}

fn expand(name: &str) -> Option<u64> {
    let all_with_prefix = |prefix: &str| {
        GRANULAR
            .iter()
            .filter(|(granular, _)| granular.starts_with(prefix))
            .fold(0, |bits, (_, scope)| bits | scope.bit())
    };
    match name {
        "read" => Some(all_with_prefix("read:")),
        "write" => Some(all_with_prefix("write:")),
        "follow" => Some(
            [Scope::ReadBlocks, Scope::ReadFollows, Scope::ReadMutes]
                .into_iter()
                .chain([Scope::WriteBlocks, Scope::WriteFollows, Scope::WriteMutes])
                .fold(0, |bits, scope| bits | scope.bit()),
        ),
        // Mastodon's granular admin scopes (`admin:read:accounts`) fold into the two levels.
        _ if name.starts_with("admin:read:") => Some(Scope::AdminRead.bit()),
        _ if name.starts_with("admin:write:") => Some(Scope::AdminWrite.bit()),
        _ => GRANULAR
            .iter()
            .find(|(granular, _)| *granular == name)
            .map(|(_, scope)| scope.bit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scopes_expand_and_granular_ones_stay_narrow() {
        let read = ScopeSet::parse("read").unwrap();
        assert!(read.contains(Scope::ReadStatuses) && !read.contains(Scope::WriteStatuses));
        let follow = ScopeSet::parse("read:statuses follow").unwrap();
        assert!(follow.contains(Scope::WriteFollows) && !follow.contains(Scope::ReadAccounts));
        assert!(follow.is_subset_of(&ScopeSet::parse("read write follow").unwrap()));
        assert!(!read.is_subset_of(&follow));
        assert!(ScopeSet::parse("read nonsense").is_err());
        assert_eq!(ScopeSet::parse("").unwrap().as_str(), "read");
        assert_eq!(
            ScopeSet::parse("read+write").unwrap().as_str(),
            "read write"
        );
    }
}
