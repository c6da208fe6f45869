//! Whole-database maintenance: per-table statistics, a full consistency check and an
//! online backup. All walk `schema::visit_tables`, so no table is forgotten.

use std::path::Path;

use redb::{
    Key, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    Value, WriteTransaction,
};
use serde::Serialize;

use super::schema::{self, TableVisitor};
use super::{Reader, Store, StoreError, records};
use crate::model;

/// Entries and bytes of one table.
#[derive(Clone, Debug, Serialize)]
pub struct TableStats {
    pub name: String,
    pub entries: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of B-tree structure around them.
    pub metadata_bytes: u64,
    /// Bytes allocated to the table but unused.
    pub fragmented_bytes: u64,
}

/// Statistics of every table and of the file.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseStats {
    pub tables: Vec<TableStats>,
    /// The file's length, and what it takes on disk (`growth::FileSizes`).
    pub file_bytes: u64,
    pub disk_bytes: u64,
}

impl Store {
    pub fn stats(&self, path: &Path) -> Result<DatabaseStats, StoreError> {
        struct Collect<'t> {
            tx: &'t ReadTransaction,
            tables: Vec<TableStats>,
        }
        impl TableVisitor for Collect<'_> {
            fn visit<K: Key + 'static, V: Value + 'static>(
                &mut self,
                table: TableDefinition<'static, K, V>,
            ) -> Result<(), StoreError> {
                let opened = self.tx.open_table(table)?;
                let stats = opened.stats()?;
                self.tables.push(TableStats {
                    name: redb::TableHandle::name(&table).to_string(),
                    entries: opened.len()?,
                    stored_bytes: stats.stored_bytes(),
                    metadata_bytes: stats.metadata_bytes(),
                    fragmented_bytes: stats.fragmented_bytes(),
                });
                Ok(())
            }
        }
        let tables = self.read(|tx| {
            let mut collect = Collect {
                tx,
                tables: Vec::new(),
            };
            schema::visit_tables(&mut collect)?;
            Ok::<_, StoreError>(collect.tables)
        })?;
        let sizes = super::growth::file_sizes(path)?;
        Ok(DatabaseStats {
            tables,
            file_bytes: sizes.length,
            disk_bytes: sizes.disk,
        })
    }

    /// Writes a consistent copy of the database to `destination` (which must not exist)
    /// from one read snapshot, while writers go on.
    pub fn backup(&self, destination: &Path) -> Result<u64, StoreError> {
        if destination.exists() {
            return Err(StoreError::Backup(format!(
                "{} exists already",
                destination.display()
            )));
        }
        struct Copy<'t> {
            from: &'t ReadTransaction,
            to: &'t WriteTransaction,
            entries: u64,
        }
        impl TableVisitor for Copy<'_> {
            fn visit<K: Key + 'static, V: Value + 'static>(
                &mut self,
                table: TableDefinition<'static, K, V>,
            ) -> Result<(), StoreError> {
                let source = self.from.open_table(table)?;
                let mut target = self.to.open_table(table)?;
                for entry in source.iter()? {
                    let (key, value) = entry?;
                    target.insert(key.value(), value.value())?;
                    self.entries += 1;
                }
                Ok(())
            }
        }
        let snapshot = self.database().begin_read()?;
        let partial = destination.with_extension("partial");
        let copy = redb::Database::create(&partial)?;
        let mut tx = copy.begin_write()?;
        tx.set_two_phase_commit(true);
        let mut visitor = Copy {
            from: &snapshot,
            to: &tx,
            entries: 0,
        };
        schema::visit_tables(&mut visitor)?;
        let entries = visitor.entries;
        tx.commit()?;
        drop(copy);
        // The copy appears under its name only once complete.
        std::fs::rename(&partial, destination)?;
        Ok(entries)
    }

    /// Decodes every record and checks that every index points at something. Returns the
    /// problems found (empty when the database is consistent) and the records checked.
    pub fn check(&self) -> Result<(Vec<String>, u64), StoreError> {
        let bytes_max = self.record_bytes_max;
        self.read(|tx| {
            let mut problems = Vec::new();
            let mut checked = 0u64;
            checked +=
                decode_all::<model::Account>(tx, schema::ACCOUNTS, bytes_max, &mut problems)?;
            checked += decode_all::<model::LocalUser>(tx, schema::USERS, bytes_max, &mut problems)?;
            checked += decode_all::<model::Status>(tx, schema::STATUSES, bytes_max, &mut problems)?;
            checked += decode_all::<model::App>(tx, schema::APPS, bytes_max, &mut problems)?;
            checked += decode_all::<model::List>(tx, schema::LISTS, bytes_max, &mut problems)?;
            check_lists(tx, &mut problems)?;
            checked += super::media::check(tx, bytes_max, &mut problems)?;
            checked += decode_all::<model::Filter>(tx, schema::FILTERS, bytes_max, &mut problems)?;
            checked += super::moderation::check(tx, bytes_max, &mut problems)?;
            checked += super::sessions::check(tx, bytes_max, &mut problems)?;
            checked += decode_all::<model::Relay>(tx, schema::RELAYS, bytes_max, &mut problems)?;
            checked += decode_all::<model::ScheduledStatus>(
                tx,
                schema::SCHEDULED_STATUSES,
                bytes_max,
                &mut problems,
            )?;
            for (name, table) in [("recipient_notificationid", schema::NOTIFICATIONS)] {
                for entry in tx.open_table(table)?.iter()? {
                    let (key, value) = entry?;
                    checked += 1;
                    if let Err(error) =
                        records::decode::<model::Notification>(value.value(), bytes_max)
                    {
                        problems.push(format!("{name} {:?}: {error}", key.value()));
                    }
                }
            }
            for table in [schema::AUTH_CODES, schema::TOKENS] {
                for entry in tx.open_table(table)?.iter()? {
                    let (_, value) = entry?;
                    checked += 1;
                    let result = if redb::TableHandle::name(&table) == "tokenhash_token" {
                        records::decode::<model::Token>(value.value(), bytes_max).map(drop)
                    } else {
                        records::decode::<model::AuthCode>(value.value(), bytes_max).map(drop)
                    };
                    if let Err(error) = result {
                        problems.push(format!("{}: {error}", redb::TableHandle::name(&table)));
                    }
                }
            }
            let accounts = tx.open_table(schema::ACCOUNTS)?;
            let statuses = tx.open_table(schema::STATUSES)?;
            let account_exists = |id: u64| accounts.get(id).map(|found| found.is_some());
            let status_exists = |id: u64| statuses.get(id).map(|found| found.is_some());
            for entry in tx.open_table(schema::ACCT_ACCOUNTID)?.iter()? {
                let (acct, id) = entry?;
                if !account_exists(id.value())? {
                    problems.push(format!(
                        "acct_accountid {:?} points at missing account {}",
                        acct.value(),
                        id.value()
                    ));
                }
            }
            for table in [schema::USERS, schema::KEYPAIRS] {
                for entry in tx.open_table(table)?.iter()? {
                    let id = entry?.0.value();
                    if !account_exists(id)? {
                        problems.push(format!(
                            "{} {id} has no account",
                            redb::TableHandle::name(&table)
                        ));
                    }
                }
            }
            for table in [
                schema::ACCOUNT_STATUSES,
                schema::HOME,
                schema::TAG_STATUSES,
                schema::REPLIES,
            ] {
                for entry in tx.open_table(table)?.iter()? {
                    let (first, status) = entry?.0.value();
                    if !status_exists(status)? {
                        problems.push(format!(
                            "{} ({first}, {status}) points at a missing status",
                            redb::TableHandle::name(&table)
                        ));
                    }
                }
            }
            for table in [schema::PUBLIC_STATUSES, schema::LOCAL_STATUSES] {
                for entry in tx.open_table(table)?.iter()? {
                    let status = entry?.0.value();
                    if !status_exists(status)? {
                        problems.push(format!(
                            "{} {status} points at a missing status",
                            redb::TableHandle::name(&table)
                        ));
                    }
                }
            }
            for edge in [
                super::Edge::FOLLOW,
                super::Edge::BLOCK,
                super::Edge::MUTE,
                super::Edge::FAVOURITE,
                super::Edge::BOOKMARK,
                super::Edge::REBLOG,
                super::Edge::PIN,
                super::Edge::FOLLOW_REQUEST,
            ] {
                check_edge(tx, edge, &mut problems)?;
            }
            Ok((problems, checked))
        })
    }
}

pub(super) fn decode_all<R: records::Record>(
    tx: &ReadTransaction,
    table: TableDefinition<'static, u64, &'static [u8]>,
    bytes_max: usize,
    problems: &mut Vec<String>,
) -> Result<u64, StoreError> {
    let mut checked = 0;
    for entry in tx.open_table(table)?.iter()? {
        let (key, value) = entry?;
        checked += 1;
        if let Err(error) = records::decode::<R>(value.value(), bytes_max) {
            problems.push(format!(
                "{} {}: {error}",
                redb::TableHandle::name(&table),
                key.value()
            ));
        }
    }
    Ok(checked)
}

/// Every list has its owner entry, and list membership is the same in both directions.
fn check_lists(tx: &ReadTransaction, problems: &mut Vec<String>) -> Result<(), StoreError> {
    let lists = tx.open_table(schema::LISTS)?;
    let owners = tx.open_table(schema::OWNER_LISTS)?;
    for entry in owners.iter()? {
        let (owner, list) = entry?.0.value();
        if lists.get(list)?.is_none() {
            problems.push(format!(
                "owner_listid ({owner}, {list}) points at a missing list"
            ));
        }
    }
    if owners.len()? != lists.len()? {
        problems.push("owner_listid and listid_list differ in length".into());
    }
    let members = tx.open_table(schema::LIST_ACCOUNTS)?;
    let reverse = tx.open_table(schema::ACCOUNT_LISTS)?;
    for entry in members.iter()? {
        let (list, account) = entry?.0.value();
        if lists.get(list)?.is_none() || reverse.get((account, list))?.is_none() {
            problems.push(format!("listid_accountid ({list}, {account}) is dangling"));
        }
    }
    if members.len()? != reverse.len()? {
        problems.push("listid_accountid and accountid_listid differ in length".into());
    }
    Ok(())
}

/// Every edge has its by-id entries and every by-id entry has its edge.
fn check_edge(
    tx: &ReadTransaction,
    edge: super::Edge,
    problems: &mut Vec<String>,
) -> Result<(), StoreError> {
    let edges = tx.table(edge.edges)?;
    let name = redb::TableHandle::name(&edge.edges);
    for (by_id, a_side) in [(edge.a_by_id, true), (edge.b_by_id, false)] {
        let Some(by_id) = by_id else { continue };
        let index = tx.table(by_id)?;
        for entry in index.iter()? {
            let (key, other) = entry?;
            let (owner, id) = key.value();
            let pair = if a_side {
                (owner, other.value())
            } else {
                (other.value(), owner)
            };
            if edges.get(pair)?.map(|found| found.value()) != Some(id) {
                problems.push(format!(
                    "{} ({owner}, {id}) has no matching {name} edge",
                    redb::TableHandle::name(&by_id)
                ));
            }
        }
        if index.len()? != edges.len()? {
            problems.push(format!(
                "{} has {} entries but {name} has {}",
                redb::TableHandle::name(&by_id),
                index.len()?,
                edges.len()?
            ));
        }
    }
    Ok(())
}
