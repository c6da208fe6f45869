//! Domain blocks and allows, looked up by the host and each of its parent domains.

use redb::{ReadableTable, WriteTransaction};

use super::{Page, Reader, StoreError, get_record, page_ids, put_record, schema};
use crate::model::{DomainAllow, DomainBlock};

/// Labels of a host looked at when matching parents (`a.b.example.com` → 4).
const LABELS_MAX: usize = 16;

/// `a.b.example` and its parents `b.example`, `example`, most specific first.
fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    let host = host.split(':').next().unwrap_or(host);
    let mut rest = Some(host);
    std::iter::from_fn(move || {
        let current = rest?;
        rest = current.split_once('.').map(|(_, parent)| parent);
        Some(current)
    })
    .take(LABELS_MAX)
}

pub fn put_block(tx: &WriteTransaction, block: &DomainBlock) -> Result<(), StoreError> {
    put_record(tx, schema::DOMAIN_BLOCKS, block.id, block)?;
    tx.open_table(schema::DOMAIN_BLOCK_HOSTS)?
        .insert(block.domain.as_str(), block.id)?;
    Ok(())
}

pub fn remove_block(tx: &WriteTransaction, block: &DomainBlock) -> Result<(), StoreError> {
    tx.open_table(schema::DOMAIN_BLOCKS)?.remove(block.id)?;
    tx.open_table(schema::DOMAIN_BLOCK_HOSTS)?
        .remove(block.domain.as_str())?;
    Ok(())
}

pub fn get_block(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<DomainBlock>, StoreError> {
    get_record(reader, schema::DOMAIN_BLOCKS, id, bytes_max)
}

/// The block of exactly this domain.
pub fn block_of_domain(
    reader: &impl Reader,
    domain: &str,
    bytes_max: usize,
) -> Result<Option<DomainBlock>, StoreError> {
    let Some(id) = reader
        .table(schema::DOMAIN_BLOCK_HOSTS)?
        .get(domain)?
        .map(|id| id.value())
    else {
        return Ok(None);
    };
    get_block(reader, id, bytes_max)
}

/// The block that applies to `host`: its own or its nearest parent's.
pub fn block_for_host(
    reader: &impl Reader,
    host: &str,
    bytes_max: usize,
) -> Result<Option<DomainBlock>, StoreError> {
    let host = host.to_ascii_lowercase();
    for domain in suffixes(&host) {
        if let Some(block) = block_of_domain(reader, domain, bytes_max)? {
            return Ok(Some(block));
        }
    }
    Ok(None)
}

/// Every block, oldest first, up to `max` of them.
pub fn list_blocks(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<DomainBlock>, StoreError> {
    let table = reader.table(schema::DOMAIN_BLOCKS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(max) {
        out.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}

/// A page of blocks by id, newest first.
pub fn page_blocks(
    reader: &impl Reader,
    page: Page,
    bytes_max: usize,
) -> Result<Vec<DomainBlock>, StoreError> {
    page_ids(reader, schema::DOMAIN_BLOCKS, page, usize::MAX, |id| {
        get_block(reader, id, bytes_max)
    })
}

pub fn count_blocks(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::DOMAIN_BLOCKS)?.len()?)
}

pub fn put_allow(tx: &WriteTransaction, allow: &DomainAllow) -> Result<(), StoreError> {
    put_record(tx, schema::DOMAIN_ALLOWS, allow.id, allow)?;
    tx.open_table(schema::DOMAIN_ALLOW_HOSTS)?
        .insert(allow.domain.as_str(), allow.id)?;
    Ok(())
}

pub fn remove_allow(tx: &WriteTransaction, allow: &DomainAllow) -> Result<(), StoreError> {
    tx.open_table(schema::DOMAIN_ALLOWS)?.remove(allow.id)?;
    tx.open_table(schema::DOMAIN_ALLOW_HOSTS)?
        .remove(allow.domain.as_str())?;
    Ok(())
}

pub fn get_allow(
    reader: &impl Reader,
    id: u64,
    bytes_max: usize,
) -> Result<Option<DomainAllow>, StoreError> {
    get_record(reader, schema::DOMAIN_ALLOWS, id, bytes_max)
}

pub fn allow_of_domain(reader: &impl Reader, domain: &str) -> Result<Option<u64>, StoreError> {
    Ok(reader
        .table(schema::DOMAIN_ALLOW_HOSTS)?
        .get(domain)?
        .map(|id| id.value()))
}

/// Whether `host` or one of its parents is allowed.
pub fn is_allowed(reader: &impl Reader, host: &str) -> Result<bool, StoreError> {
    let host = host.to_ascii_lowercase();
    for domain in suffixes(&host) {
        if allow_of_domain(reader, domain)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Every allow, oldest first, up to `max` of them.
pub fn list_allows(
    reader: &impl Reader,
    max: usize,
    bytes_max: usize,
) -> Result<Vec<DomainAllow>, StoreError> {
    let table = reader.table(schema::DOMAIN_ALLOWS)?;
    let mut out = Vec::new();
    for entry in table.iter()?.take(max) {
        out.push(super::records::decode(entry?.1.value(), bytes_max)?);
    }
    Ok(out)
}

/// A page of allows by id, newest first.
pub fn page_allows(
    reader: &impl Reader,
    page: Page,
    bytes_max: usize,
) -> Result<Vec<DomainAllow>, StoreError> {
    page_ids(reader, schema::DOMAIN_ALLOWS, page, usize::MAX, |id| {
        get_allow(reader, id, bytes_max)
    })
}

pub fn count_allows(reader: &impl Reader) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(reader.table(schema::DOMAIN_ALLOWS)?.len()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_host_matches_itself_then_its_parents() {
        let found: Vec<&str> = super::suffixes("a.b.example.com:8443").collect();
        assert_eq!(
            found,
            vec!["a.b.example.com", "b.example.com", "example.com", "com"]
        );
    }
}
