//! Relations between two ids (follows, blocks, mutes, favourites, bookmarks, reblogs, pins),
//! each kept in up to three tables: the edge `(a, b) → id` answers "does a → b exist", and the
//! by-id tables `(a, id) → b` and `(b, id) → a` list either side in creation order, so
//! pages of followers or favourites are range scans with Mastodon's pagination.
//!
//! Architecture Invariant: the three tables change together in one transaction.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::{Page, Reader, StoreError, page_pairs, schema};

type PairTable = TableDefinition<'static, (u64, u64), u64>;

/// One kind of relation and its tables.
#[derive(Clone, Copy)]
pub struct Edge {
    pub edges: PairTable,
    /// `(a, id) → b`: what `a` did, in order.
    pub a_by_id: Option<PairTable>,
    /// `(b, id) → a`: who did it to `b`, in order.
    pub b_by_id: Option<PairTable>,
}

impl Edge {
    pub const FOLLOW: Edge = Edge {
        edges: schema::FOLLOWS,
        a_by_id: Some(schema::FOLLOWING_BY_ID),
        b_by_id: Some(schema::FOLLOWERS_BY_ID),
    };
    pub const BLOCK: Edge = Edge {
        edges: schema::BLOCKS,
        a_by_id: Some(schema::BLOCKS_BY_ID),
        b_by_id: None,
    };
    pub const MUTE: Edge = Edge {
        edges: schema::MUTES,
        a_by_id: Some(schema::MUTES_BY_ID),
        b_by_id: None,
    };
    pub const FAVOURITE: Edge = Edge {
        edges: schema::FAVOURITES,
        a_by_id: Some(schema::FAVOURITES_BY_ID),
        b_by_id: Some(schema::FAVOURITERS_BY_ID),
    };
    pub const BOOKMARK: Edge = Edge {
        edges: schema::BOOKMARKS,
        a_by_id: Some(schema::BOOKMARKS_BY_ID),
        b_by_id: None,
    };
    /// The id of a reblog edge is the reblog's own status id.
    pub const REBLOG: Edge = Edge {
        edges: schema::REBLOGS,
        a_by_id: None,
        b_by_id: Some(schema::REBLOGGERS_BY_ID),
    };
    /// A follow waiting for the target's answer (locked accounts, remote accounts).
    pub const FOLLOW_REQUEST: Edge = Edge {
        edges: schema::FOLLOW_REQUESTS,
        a_by_id: None,
        b_by_id: Some(schema::FOLLOW_REQUESTS_BY_ID),
    };
    pub const PIN: Edge = Edge {
        edges: schema::PINS,
        a_by_id: Some(schema::PINS_BY_ID),
        b_by_id: None,
    };
    /// A local account following a hashtag: (account, tag id).
    pub const TAG_FOLLOW: Edge = Edge {
        edges: schema::TAG_FOLLOWS,
        a_by_id: Some(schema::TAG_FOLLOWS_BY_ID),
        b_by_id: Some(schema::TAG_FOLLOWERS_BY_ID),
    };
    /// A hashtag featured on a profile: (account, tag id).
    pub const FEATURED_TAG: Edge = Edge {
        edges: schema::FEATURED_TAGS,
        a_by_id: Some(schema::FEATURED_TAGS_BY_ID),
        b_by_id: None,
    };
    /// An account endorsed on a profile: (account, endorsed).
    pub const ENDORSEMENT: Edge = Edge {
        edges: schema::ENDORSEMENTS,
        a_by_id: Some(schema::ENDORSEMENTS_BY_ID),
        b_by_id: None,
    };

    /// Adds `a → b` with `id`; returns false (and changes nothing) if it existed.
    pub fn add(&self, tx: &WriteTransaction, a: u64, b: u64, id: u64) -> Result<bool, StoreError> {
        let mut edges = tx.open_table(self.edges)?;
        if edges.get((a, b))?.is_some() {
            return Ok(false);
        }
        edges.insert((a, b), id)?;
        drop(edges);
        if let Some(table) = self.a_by_id {
            tx.open_table(table)?.insert((a, id), b)?;
        }
        if let Some(table) = self.b_by_id {
            tx.open_table(table)?.insert((b, id), a)?;
        }
        Ok(true)
    }

    /// Removes `a → b`; returns its id if it existed.
    pub fn remove(&self, tx: &WriteTransaction, a: u64, b: u64) -> Result<Option<u64>, StoreError> {
        let Some(id) = tx
            .open_table(self.edges)?
            .remove((a, b))?
            .map(|id| id.value())
        else {
            return Ok(None);
        };
        if let Some(table) = self.a_by_id {
            tx.open_table(table)?.remove((a, id))?;
        }
        if let Some(table) = self.b_by_id {
            tx.open_table(table)?.remove((b, id))?;
        }
        Ok(Some(id))
    }

    /// The id of `a → b`, if it exists.
    pub fn get(&self, reader: &impl Reader, a: u64, b: u64) -> Result<Option<u64>, StoreError> {
        Ok(reader.table(self.edges)?.get((a, b))?.map(|id| id.value()))
    }

    pub fn contains(&self, reader: &impl Reader, a: u64, b: u64) -> Result<bool, StoreError> {
        Ok(self.get(reader, a, b)?.is_some())
    }

    /// A page of what `a` did: `(edge id, b)`, newest first.
    pub fn page_of_a(
        &self,
        reader: &impl Reader,
        a: u64,
        page: Page,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let table = self.a_by_id.expect("the relation keeps an a-side list");
        page_pairs(reader, table, a, page, usize::MAX, |id, b| {
            Ok::<_, StoreError>(Some((id, b)))
        })
    }

    /// A page of who did it to `b`: `(edge id, a)`, newest first.
    pub fn page_of_b(
        &self,
        reader: &impl Reader,
        b: u64,
        page: Page,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let table = self.b_by_id.expect("the relation keeps a b-side list");
        page_pairs(reader, table, b, page, usize::MAX, |id, a| {
            Ok::<_, StoreError>(Some((id, a)))
        })
    }

    /// Every `b` that `a` relates to, up to `max` of them (for home fan-out and filters).
    pub fn all_of_a(
        &self,
        reader: &impl Reader,
        a: u64,
        max: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let edges = reader.table(self.edges)?;
        let mut out = Vec::new();
        for entry in edges.range((a, 0)..=(a, u64::MAX))?.take(max) {
            out.push(entry?.0.value().1);
        }
        Ok(out)
    }

    /// Every `a` related to `b`, up to `max` of them.
    pub fn all_of_b(
        &self,
        reader: &impl Reader,
        b: u64,
        max: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let table = self.b_by_id.expect("the relation keeps a b-side list");
        let table = reader.table(table)?;
        let mut out = Vec::new();
        for entry in table.range((b, 0)..=(b, u64::MAX))?.take(max) {
            out.push(entry?.1.value());
        }
        Ok(out)
    }
}

/// Whether `muter`'s mute of `muted` also hides notifications.
pub fn mute_hides_notifications(
    reader: &impl Reader,
    muter: u64,
    muted: u64,
) -> Result<bool, StoreError> {
    Ok(reader
        .table(schema::MUTES_NOTIFICATIONS)?
        .get((muter, muted))?
        .is_some())
}

/// Records whether a mute hides notifications too (`false` also when the mute ends).
pub fn set_mute_hides_notifications(
    tx: &WriteTransaction,
    muter: u64,
    muted: u64,
    hides: bool,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(schema::MUTES_NOTIFICATIONS)?;
    if hides {
        table.insert((muter, muted), ())?;
    } else {
        table.remove((muter, muted))?;
    }
    Ok(())
}

/// Remembers the id of a remote account's Follow activity, for the Accept or Reject.
pub fn put_follow_activity(
    tx: &WriteTransaction,
    follower: u64,
    followee: u64,
    activity: &str,
) -> Result<(), StoreError> {
    tx.open_table(schema::FOLLOW_ACTIVITIES)?
        .insert((follower, followee), activity)?;
    Ok(())
}

pub fn follow_activity(
    reader: &impl Reader,
    follower: u64,
    followee: u64,
) -> Result<Option<String>, StoreError> {
    Ok(reader
        .table(schema::FOLLOW_ACTIVITIES)?
        .get((follower, followee))?
        .map(|uri| uri.value().to_string()))
}
