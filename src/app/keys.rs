//! Signing keys: the instance actor's (made on first use, never replaced: peers cache its
//! public half) and each local account's, stored as PKCS#8 DER.

use crate::model::AccountId;
use crate::store::{accounts, meta};

use super::{App, AppError};

/// The instance key, made and stored on first use. Returns the PKCS#8 DER and whether it was
/// made now.
pub fn ensure_instance_key(app: &App) -> Result<(Vec<u8>, bool), AppError> {
    if let Some(der) = app
        .store
        .read(|tx| meta::get(tx, meta::INSTANCE_PRIVATE_KEY))?
    {
        check(&der)?;
        return Ok((der, false));
    }
    // Key generation takes tens of milliseconds: done before the write transaction.
    let fresh =
        crate::sig::generate_rsa_pkcs8().map_err(|error| AppError::Internal(error.to_string()))?;
    app.write(|tx| {
        // Looked at again inside the transaction: a stored key is never replaced.
        if let Some(existing) = meta::get(tx, meta::INSTANCE_PRIVATE_KEY)? {
            return Ok((existing, false));
        }
        meta::put(tx, meta::INSTANCE_PRIVATE_KEY, &fresh)?;
        Ok((fresh, true))
    })
}

/// A local account's private key.
pub fn account_key(app: &App, account: AccountId) -> Result<Vec<u8>, AppError> {
    app.store
        .read(|tx| accounts::get_private_key(tx, account))?
        .ok_or(AppError::NotFound)
}

/// The SPKI PEM of a PKCS#8 private key, as actor documents publish it.
pub fn public_key_pem(der: &[u8]) -> Result<String, AppError> {
    crate::sig::public_key_pem(der).map_err(|error| AppError::Internal(error.to_string()))
}

fn check(der: &[u8]) -> Result<(), AppError> {
    crate::sig::public_key_pem(der)
        .map(drop)
        .map_err(|error| AppError::Internal(format!("{}: {error}", meta::INSTANCE_PRIVATE_KEY)))
}
