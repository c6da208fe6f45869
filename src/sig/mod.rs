//! Keys and signatures: pure functions over bytes, no I/O (DESIGN.md).
//! May import `util`.
//!
//! Private-key operations use aws-lc-rs, whose RSA is constant-time: the `rsa` crate's
//! signing is open to the Marvin timing attack (RUSTSEC-2023-0071, unpatched).

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum SigError {
    #[error("key generation failed")]
    Generate,
    #[error("key rejected: {0}")]
    KeyRejected(String),
    #[error("key encoding failed")]
    Encode,
}

/// A freshly generated RSA-2048 key pair, as PKCS#8 DER: 2048 bits is what Mastodon and
/// every peer accept.
pub fn generate_rsa_pkcs8() -> Result<Vec<u8>, SigError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| SigError::Generate)?;
    let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| SigError::Encode)?;
    Ok(der.as_ref().to_vec())
}

/// The public half of a PKCS#8 RSA key as an SPKI PEM, the `publicKeyPem` of actor documents.
pub fn public_key_pem(pkcs8_der: &[u8]) -> Result<String, SigError> {
    let pair =
        KeyPair::from_pkcs8(pkcs8_der).map_err(|error| SigError::KeyRejected(error.to_string()))?;
    let der: PublicKeyX509Der<'static> =
        pair.public_key().as_der().map_err(|_| SigError::Encode)?;
    Ok(pem("PUBLIC KEY", der.as_ref()))
}

/// PEM armour (RFC 7468): base64 in lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_give_an_spki_pem() {
        let der = generate_rsa_pkcs8().unwrap();
        let pem = public_key_pem(&der).unwrap();
        assert!(pem.starts_with(
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
        ));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert!(public_key_pem(b"not a key").is_err());
    }
}
