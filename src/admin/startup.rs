//! What `skerry serve` sets up before it serves: the instance key, and the hint for the
//! first account. May import what `admin` may.
//!
//! Invariant: the instance key, once stored, is never replaced: remote servers cache its
//! public half, and a new key would make them reject our signatures.

use crate::app::App;
use crate::store::accounts;
#[cfg(test)]
use crate::store::meta;

use super::AdminError;

/// Whether a new instance key was made (first start) or one was there already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceKey {
    Created,
    Existing,
}

/// Makes the instance actor's RSA key on first start (see `app::keys`); checks that a stored
/// key still parses.
pub fn ensure_instance_key(app: &App) -> Result<InstanceKey, AdminError> {
    let (_, created) = crate::app::keys::ensure_instance_key(app)?;
    Ok(if created {
        InstanceKey::Created
    } else {
        InstanceKey::Existing
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
