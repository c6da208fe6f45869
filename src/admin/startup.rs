//! What `skerry serve` sets up before it serves: the instance key, and the hint for the
//! first account. May import what `admin` may.
//!
//! Invariant: the instance key, once stored, is never replaced: remote servers cache its
//! public half, and a new key would make them reject our signatures.

use crate::app::{App, AppError};
use crate::store::{StoreError, accounts, meta};

use super::AdminError;

/// Whether a new instance key was made (first start) or one was there already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceKey {
    Created,
    Existing,
}

/// Makes the instance actor's RSA key on first start and keeps it in META under
/// `meta::INSTANCE_PRIVATE_KEY`; checks that a stored key still parses.
pub fn ensure_instance_key(app: &App) -> Result<InstanceKey, AdminError> {
    if let Some(der) = app
        .store
        .read(|tx| meta::get(tx, meta::INSTANCE_PRIVATE_KEY))?
    {
        check_key(&der)?;
        return Ok(InstanceKey::Existing);
    }
    // Key generation takes tens of milliseconds; done before the transaction so the write
    // lock is held only for the write.
    let der =
        crate::sig::generate_rsa_pkcs8().map_err(|error| AppError::Internal(error.to_string()))?;
    check_key(&der)?;
    let created = app.store.write(|tx| {
        // Another process cannot hold the file, but look again anyway: the key is never replaced.
        if meta::get(tx, meta::INSTANCE_PRIVATE_KEY)?.is_some() {
            return Ok::<_, StoreError>(InstanceKey::Existing);
        }
        meta::put(tx, meta::INSTANCE_PRIVATE_KEY, &der)?;
        Ok(InstanceKey::Created)
    })?;
    Ok(created)
}

fn check_key(der: &[u8]) -> Result<(), AdminError> {
    crate::sig::public_key_pem(der).map(drop).map_err(|error| {
        AdminError::Store(StoreError::Corrupt {
            kind: "meta",
            reason: format!("{}: {error}", meta::INSTANCE_PRIVATE_KEY),
        })
    })
}

/// Local users on this instance: none means the operator still has to create the first one.
pub fn local_user_count(app: &App) -> Result<u64, AdminError> {
    Ok(app.store.read(accounts::count_users)?)
}

/// The command that creates the first account, printed by `skerry serve` while there is none.
pub const FIRST_ACCOUNT_HINT: &str = "skerry admin account create NAME --email E --role owner";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_key_is_made_once_and_kept() {
        let (_directory, app) = super::super::tests::temp_app();
        assert_eq!(local_user_count(&app).unwrap(), 0);
        assert_eq!(ensure_instance_key(&app).unwrap(), InstanceKey::Created);
        let first = app
            .store
            .read(|tx| meta::get(tx, meta::INSTANCE_PRIVATE_KEY))
            .unwrap()
            .unwrap();
        assert_eq!(ensure_instance_key(&app).unwrap(), InstanceKey::Existing);
        let second = app
            .store
            .read(|tx| meta::get(tx, meta::INSTANCE_PRIVATE_KEY))
            .unwrap()
            .unwrap();
        assert_eq!(first, second);

        app.store
            .write(|tx| meta::put(tx, meta::INSTANCE_PRIVATE_KEY, b"not a key"))
            .unwrap();
        let error = ensure_instance_key(&app).unwrap_err();
        assert!(
            error.to_string().contains("instance_private_key"),
            "{error}"
        );
    }
}
