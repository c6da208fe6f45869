//! Keys and signatures: pure functions over bytes, no I/O (DESIGN.md).
//! May import `util`.
//!
//! Private-key operations use aws-lc-rs, whose RSA is constant-time: the `rsa` crate's
//! signing is open to the Marvin timing attack (RUSTSEC-2023-0071, unpatched). Verification
//! uses aws-lc-rs as well, so the `rsa` crate is not a dependency at all.
//!
//! `httpsig` signs and verifies HTTP requests (draft-cavage and RFC 9421) with the keys here.
//!
//! Invariants: a [`PublicKey`] built outside tests is an RSA key of 2048 to 8192 bits or an
//! Ed25519 key; nothing here reads the clock (callers pass `now_unix_secs`).

pub mod httpsig;
pub mod totp;
pub mod webpush;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self as lc_signature, KeyPair as _, UnparsedPublicKey};

/// The smallest RSA modulus we accept from a remote key. Mastodon, Pleroma, Misskey and
/// GoToSocial all generate 2048-bit keys; 1024-bit RSA is below every current recommendation
/// (NIST SP 800-131A), and aws-lc-rs cannot sign with it either.
pub const RSA_KEY_BITS_MIN: u32 = 2048;
/// The largest RSA modulus we accept: aws-lc-rs's limit, and a bound on verification cost.
pub const RSA_KEY_BITS_MAX: u32 = 8192;
/// The longest PEM text we parse: an 8192-bit SPKI PEM is about 1.5 KiB.
pub const PUBLIC_KEY_PEM_BYTES_MAX: usize = 8 * 1024;
/// The longest `publicKeyMultibase` we parse: an Ed25519 key is 48 characters.
pub const PUBLIC_KEY_MULTIBASE_BYTES_MAX: usize = 128;

/// The errors of this layer. [`SigError::http_status`] says how the edge answers each one:
/// 400 for a signature header we cannot parse, 401 for a signature that is well formed but not
/// acceptable (missing, expired, not covering what it must, not matching), 500 for failures
/// with our own keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// 500: aws-lc could not generate a key.
    #[error("key generation failed")]
    Generate,
    /// 500: one of our own private keys did not load.
    #[error("key rejected: {0}")]
    KeyRejected(String),
    /// 500: one of our keys or headers could not be encoded.
    #[error("key encoding failed")]
    Encode,
    /// 500: signing with our own key failed.
    #[error("signing failed")]
    Sign,

    /// 400: a signature header is longer than `httpsig::SIGNATURE_HEADER_BYTES_MAX`.
    #[error("signature header too long: {bytes} bytes")]
    HeaderTooLong { bytes: usize },
    /// 400: a signature header does not follow its grammar.
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    /// 400: a parameter (or dictionary key) appears twice (Misskey CVE-2026-28432).
    #[error("duplicate signature parameter: {0}")]
    DuplicateParameter(String),
    /// 400: a parameter the scheme requires is absent (`keyId`, `signature`, `created`…).
    #[error("missing signature parameter: {0}")]
    MissingParameter(&'static str),
    /// 400: more covered components than `httpsig::COVERED_COMPONENTS_MAX`.
    #[error("too many covered components: {count}")]
    TooManyComponents { count: usize },
    /// 400: more than one signature (label or header line) on the request.
    #[error("more than one signature on the request")]
    MultipleSignatures,

    /// 401: the request carries no signature at all.
    #[error("request is not signed")]
    Unsigned,
    /// 401: the algorithm is not one we verify (we accept rsa-sha256, hs2019, ed25519,
    /// rsa-v1_5-sha256 and rsa-pss-sha512).
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// 401: a covered component we cannot compute (`@query-param`, component parameters…).
    #[error("unsupported covered component: {0}")]
    UnsupportedComponent(String),
    /// 401: the signer's key is neither RSA nor Ed25519, or is not a valid key.
    #[error("unsupported or invalid public key: {0}")]
    PublicKeyInvalid(&'static str),
    /// 401: the signer's RSA key is smaller than [`RSA_KEY_BITS_MIN`] (or larger than
    /// [`RSA_KEY_BITS_MAX`]).
    #[error("RSA key of {bits} bits refused")]
    KeySizeRefused { bits: u32 },
    /// 401: the declared algorithm does not fit the key (say `rsa-sha256` with an Ed25519 key).
    #[error("signature algorithm does not fit the key")]
    AlgorithmMismatch,
    /// 401: a component that the policy requires is not covered by the signature.
    #[error("signature does not cover {0}")]
    ComponentNotCovered(&'static str),
    /// 401: a covered header is absent from the request.
    #[error("covered header missing: {0}")]
    HeaderMissing(String),
    /// 401: the `Digest` or `Content-Digest` header is unusable (no SHA-256/512, bad base64,
    /// wrong length).
    #[error("invalid digest header: {0}")]
    DigestInvalid(&'static str),
    /// 401: the body's digest differs from the signed one.
    #[error("body does not match its digest")]
    DigestMismatch,
    /// 401: the `Date` header is not an HTTP date.
    #[error("invalid Date header")]
    DateInvalid,
    /// 401: the signature's time is too far in the past (or past its `expires`).
    #[error("signature expired")]
    SignatureExpired,
    /// 401: the signature's time is too far in the future.
    #[error("signature date in the future")]
    SignatureFromFuture,
    /// 401: the signature does not verify with the key.
    #[error("signature does not verify")]
    SignatureInvalid,
}

impl SigError {
    /// The HTTP status the edge answers with: 400 malformed, 401 unacceptable, 500 ours.
    pub fn http_status(&self) -> http::StatusCode {
        use SigError::*;
        match self {
            Generate | KeyRejected(_) | Encode | Sign => http::StatusCode::INTERNAL_SERVER_ERROR,
            HeaderTooLong { .. }
            | Malformed(_)
            | DuplicateParameter(_)
            | MissingParameter(_)
            | TooManyComponents { .. }
            | MultipleSignatures => http::StatusCode::BAD_REQUEST,
            Unsigned
            | UnsupportedAlgorithm(_)
            | UnsupportedComponent(_)
            | PublicKeyInvalid(_)
            | KeySizeRefused { .. }
            | AlgorithmMismatch
            | ComponentNotCovered(_)
            | HeaderMissing(_)
            | DigestInvalid(_)
            | DigestMismatch
            | DateInvalid
            | SignatureExpired
            | SignatureFromFuture
            | SignatureInvalid => http::StatusCode::UNAUTHORIZED,
        }
    }
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

/// A signature algorithm we verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: draft-cavage `rsa-sha256` (and `hs2019` with an RSA
    /// key), RFC 9421 `rsa-v1_5-sha256`. What every fediverse server signs with.
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-512 (MGF1 SHA-512, 64-byte salt): RFC 9421 `rsa-pss-sha512`.
    RsaPssSha512,
    /// Ed25519: RFC 9421 `ed25519`, draft-cavage `hs2019` with an Ed25519 key (FEP-521a keys).
    Ed25519,
}

/// A remote actor's public key, parsed and checked once.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    material: KeyMaterial,
    /// Set when the key is known to be used with one algorithm only (RFC 9421 §3.2: the
    /// verifier may take the algorithm from the key material).
    bound: Option<Algorithm>,
}

#[derive(Clone, PartialEq, Eq)]
enum KeyMaterial {
    /// PKCS#1 `RSAPublicKey` DER, the form aws-lc verifies with.
    Rsa {
        pkcs1_der: Vec<u8>,
        bits: u32,
    },
    Ed25519([u8; 32]),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.material {
            KeyMaterial::Rsa { bits, .. } => write!(formatter, "PublicKey(RSA-{bits})"),
            KeyMaterial::Ed25519(_) => write!(formatter, "PublicKey(Ed25519)"),
        }
    }
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the 32 key bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed varint-encoded).
const MULTICODEC_ED25519_PUB: [u8; 2] = [0xed, 0x01];

impl PublicKey {
    /// Parses a `publicKeyPem`: an RSA key as SPKI (`BEGIN PUBLIC KEY`) or PKCS#1
    /// (`BEGIN RSA PUBLIC KEY`), or an Ed25519 key as SPKI. RSA keys must have
    /// [`RSA_KEY_BITS_MIN`] to [`RSA_KEY_BITS_MAX`] bits.
    pub fn from_pem(text: &str) -> Result<PublicKey, SigError> {
        Self::from_pem_with_minimum(text, RSA_KEY_BITS_MIN)
    }

    /// Like [`PublicKey::from_pem`] but also accepts 1024-bit RSA keys, so the
    /// draft-cavage test vectors (whose key is 1024-bit) verify. Tests only.
    #[cfg(test)]
    pub(crate) fn from_pem_legacy_rsa(text: &str) -> Result<PublicKey, SigError> {
        Self::from_pem_with_minimum(text, 1024)
    }

    fn from_pem_with_minimum(text: &str, rsa_bits_min: u32) -> Result<PublicKey, SigError> {
        let (label, der) = unpem(text)?;
        let material = match label {
            "RSA PUBLIC KEY" => rsa_material(&der, rsa_bits_min)?,
            "PUBLIC KEY" => match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
                Some(raw) => ed25519_material(raw)?,
                None => rsa_material(&der, rsa_bits_min)?,
            },
            _ => return Err(SigError::PublicKeyInvalid("PEM label is not a public key")),
        };
        Ok(PublicKey {
            material,
            bound: None,
        })
    }

    /// Parses a key stored as DER (`util::pem::public_key_der` of its PEM): an RSA or Ed25519
    /// SubjectPublicKeyInfo, or a PKCS#1 RSA public key. The same checks as `from_pem`.
    pub fn from_der(der: &[u8]) -> Result<PublicKey, SigError> {
        if der.len() > PUBLIC_KEY_PEM_BYTES_MAX {
            return Err(SigError::PublicKeyInvalid("key too long"));
        }
        let material = match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
            Some(raw) => ed25519_material(raw)?,
            None => rsa_material(der, RSA_KEY_BITS_MIN)?,
        };
        Ok(PublicKey {
            material,
            bound: None,
        })
    }

    /// Parses a FEP-521a `publicKeyMultibase`: `z` + base58btc of the multicodec prefix
    /// `0xed01` and the 32 bytes of an Ed25519 key.
    pub fn from_multibase(text: &str) -> Result<PublicKey, SigError> {
        if text.len() > PUBLIC_KEY_MULTIBASE_BYTES_MAX {
            return Err(SigError::PublicKeyInvalid("multibase key too long"));
        }
        let Some(base58) = text.strip_prefix('z') else {
            return Err(SigError::PublicKeyInvalid("multibase key is not base58btc"));
        };
        let bytes = bs58::decode(base58)
            .into_vec()
            .map_err(|_| SigError::PublicKeyInvalid("multibase key is not base58btc"))?;
        let Some(raw) = bytes.strip_prefix(&MULTICODEC_ED25519_PUB[..]) else {
            return Err(SigError::PublicKeyInvalid("multibase key is not Ed25519"));
        };
        Ok(PublicKey {
            material: ed25519_material(raw)?,
            bound: None,
        })
    }

    /// This key, usable with `algorithm` only; a signature that names another algorithm is
    /// refused with [`SigError::AlgorithmMismatch`].
    pub fn bound_to(self, algorithm: Algorithm) -> Result<PublicKey, SigError> {
        if !self.fits(algorithm) {
            return Err(SigError::AlgorithmMismatch);
        }
        Ok(PublicKey {
            bound: Some(algorithm),
            ..self
        })
    }

    /// The algorithm used when the signature does not name one (`hs2019`, or RFC 9421 without
    /// `alg`): the bound one, else RSASSA-PKCS1-v1_5 SHA-256 for RSA and Ed25519 for Ed25519.
    pub fn default_algorithm(&self) -> Algorithm {
        match (self.bound, &self.material) {
            (Some(algorithm), _) => algorithm,
            (None, KeyMaterial::Rsa { .. }) => Algorithm::RsaPkcs1Sha256,
            (None, KeyMaterial::Ed25519(_)) => Algorithm::Ed25519,
        }
    }

    /// Checks `signature` over `message` with the key's default algorithm.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SigError> {
        self.verify_with(self.default_algorithm(), message, signature)
    }

    /// Checks `signature` over `message` with `algorithm`, which must fit the key (and its
    /// binding, if any).
    pub fn verify_with(
        &self,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SigError> {
        if !self.fits(algorithm) || self.bound.is_some_and(|bound| bound != algorithm) {
            return Err(SigError::AlgorithmMismatch);
        }
        let verified = match (&self.material, algorithm) {
            (KeyMaterial::Rsa { pkcs1_der, bits }, Algorithm::RsaPkcs1Sha256) => {
                // Keys under 2048 bits exist only in tests (`from_pem_legacy_rsa`).
                let parameters = if *bits >= RSA_KEY_BITS_MIN {
                    &lc_signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &lc_signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
                };
                UnparsedPublicKey::new(parameters, pkcs1_der).verify(message, signature)
            }
            (KeyMaterial::Rsa { pkcs1_der, .. }, Algorithm::RsaPssSha512) => {
                UnparsedPublicKey::new(&lc_signature::RSA_PSS_2048_8192_SHA512, pkcs1_der)
                    .verify(message, signature)
            }
            (KeyMaterial::Ed25519(raw), Algorithm::Ed25519) => {
                UnparsedPublicKey::new(&lc_signature::ED25519, raw).verify(message, signature)
            }
            _ => return Err(SigError::AlgorithmMismatch),
        };
        verified.map_err(|_| SigError::SignatureInvalid)
    }

    fn fits(&self, algorithm: Algorithm) -> bool {
        matches!(
            (&self.material, algorithm),
            (
                KeyMaterial::Rsa { .. },
                Algorithm::RsaPkcs1Sha256 | Algorithm::RsaPssSha512
            ) | (KeyMaterial::Ed25519(_), Algorithm::Ed25519)
        )
    }
}

/// An RSA key from PKCS#1 or SPKI DER (aws-lc accepts both), checked for size.
fn rsa_material(der: &[u8], bits_min: u32) -> Result<KeyMaterial, SigError> {
    let key = aws_lc_rs::rsa::PublicKey::from_der(der)
        .map_err(|_| SigError::PublicKeyInvalid("not an RSA or Ed25519 key"))?;
    let pkcs1_der = key.as_ref().to_vec();
    let bits = aws_lc_rs::rsa::RsaParameters::public_modulus_len(&pkcs1_der)
        .map_err(|_| SigError::PublicKeyInvalid("RSA key without a modulus"))?;
    if !(bits_min..=RSA_KEY_BITS_MAX).contains(&bits) {
        return Err(SigError::KeySizeRefused { bits });
    }
    Ok(KeyMaterial::Rsa { pkcs1_der, bits })
}

fn ed25519_material(raw: &[u8]) -> Result<KeyMaterial, SigError> {
    let raw: [u8; 32] = raw
        .try_into()
        .map_err(|_| SigError::PublicKeyInvalid("Ed25519 key is not 32 bytes"))?;
    lc_signature::ParsedPublicKey::new(&lc_signature::ED25519, raw)
        .map_err(|_| SigError::PublicKeyInvalid("not an Ed25519 key"))?;
    Ok(KeyMaterial::Ed25519(raw))
}

/// Our RSA private key, for signing outgoing requests (constant-time aws-lc code).
pub struct SigningKey {
    pair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        formatter.write_str("SigningKey(RSA)")
    }
}

impl SigningKey {
    /// Loads an RSA private key stored as PKCS#8 DER (see [`generate_rsa_pkcs8`]); 2048 to
    /// 8192 bits.
    pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, SigError> {
        let pair =
            KeyPair::from_pkcs8(der).map_err(|error| SigError::KeyRejected(error.to_string()))?;
        Ok(SigningKey { pair })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`: deterministic, so the same message gives
    /// the same signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigError> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        let random = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(
                &lc_signature::RSA_PKCS1_SHA256,
                &random,
                message,
                &mut signature,
            )
            .map_err(|_| SigError::Sign)?;
        Ok(signature)
    }
}

/// PEM armour (RFC 7468): base64 in lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    crate::util::pem::encode(label, der)
}

/// The label and DER bytes of one PEM block (`util::pem::decode`), refusing long ones.
fn unpem(text: &str) -> Result<(&str, Vec<u8>), SigError> {
    if text.len() > PUBLIC_KEY_PEM_BYTES_MAX {
        return Err(SigError::PublicKeyInvalid("PEM too long"));
    }
    crate::util::pem::decode(text).ok_or(SigError::PublicKeyInvalid("malformed PEM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> String {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/signatures/"
        );
        std::fs::read_to_string(format!("{root}{path}")).unwrap()
    }

    #[test]
    fn generated_keys_give_an_spki_pem() {
        let der = generate_rsa_pkcs8().unwrap();
        let pem = public_key_pem(&der).unwrap();
        assert!(pem.starts_with(
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
        ));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert!(public_key_pem(b"not a key").is_err());
        assert!(PublicKey::from_pem(&pem).is_ok());
    }

    #[test]
    fn pem_keys_of_each_form_parse() {
        // RSA SPKI, RSA PKCS#1, Ed25519 SPKI.
        let spki = PublicKey::from_pem(&fixture("mastodon/keys/remote.domain-users-bob.pub.pem"));
        assert_eq!(format!("{:?}", spki.unwrap()), "PublicKey(RSA-2048)");
        let pkcs1 = PublicKey::from_pem(&fixture("rfc9421/keys/test-key-rsa.pub.pem")).unwrap();
        assert_eq!(pkcs1.default_algorithm(), Algorithm::RsaPkcs1Sha256);
        let ed25519 = PublicKey::from_pem(&fixture("rfc9421/keys/test-key-ed25519.pub.pem"));
        assert_eq!(ed25519.unwrap().default_algorithm(), Algorithm::Ed25519);

        // Stored as DER, each reads back as the same key.
        for path in [
            "mastodon/keys/remote.domain-users-bob.pub.pem",
            "rfc9421/keys/test-key-rsa.pub.pem",
            "rfc9421/keys/test-key-ed25519.pub.pem",
        ] {
            let pem = fixture(path);
            let der = crate::util::pem::public_key_der(&pem).unwrap();
            assert_eq!(
                PublicKey::from_der(&der).unwrap(),
                PublicKey::from_pem(&pem).unwrap(),
                "{path}"
            );
        }
        assert!(PublicKey::from_der(b"pem").is_err());

        // The same key with CRLF line ends and other line lengths.
        let bob = fixture("mastodon/keys/remote.domain-users-bob.pub.pem");
        let reflowed = bob.replace('\n', "\r\n").replacen("\r\n", "", 3);
        assert_eq!(
            PublicKey::from_pem(&reflowed).unwrap(),
            PublicKey::from_pem(&bob).unwrap()
        );
    }

    #[test]
    fn unusable_keys_are_refused() {
        // The draft-cavage key is 1024-bit: refused outside tests (RSA_KEY_BITS_MIN).
        let cavage = fixture("cavage-12/keys/test.pub.pem");
        assert_eq!(
            PublicKey::from_pem(&cavage),
            Err(SigError::KeySizeRefused { bits: 1024 })
        );
        assert!(PublicKey::from_pem_legacy_rsa(&cavage).is_ok());
        let p256 = fixture("rfc9421/keys/test-key-ecc-p256.pub.pem");
        assert!(matches!(
            PublicKey::from_pem(&p256),
            Err(SigError::PublicKeyInvalid(_))
        ));
        let private = fixture("rfc9421/keys/test-key-ed25519.key.pem");
        assert!(PublicKey::from_pem(&private).is_err());
        assert!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(PublicKey::from_pem(&"A".repeat(PUBLIC_KEY_PEM_BYTES_MAX + 1)).is_err());
        let ed25519 = PublicKey::from_pem(&fixture("rfc9421/keys/test-key-ed25519.pub.pem"));
        assert_eq!(
            ed25519.unwrap().bound_to(Algorithm::RsaPkcs1Sha256),
            Err(SigError::AlgorithmMismatch)
        );
    }

    #[test]
    fn multibase_ed25519_keys_parse() {
        let pem_key =
            PublicKey::from_pem(&fixture("rfc9421/keys/test-key-ed25519.pub.pem")).unwrap();
        let KeyMaterial::Ed25519(raw) = pem_key.material else {
            panic!("an Ed25519 key")
        };
        let mut bytes = MULTICODEC_ED25519_PUB.to_vec();
        bytes.extend_from_slice(&raw);
        let multibase = format!("z{}", bs58::encode(&bytes).into_string());
        assert!(multibase.starts_with("z6Mk"), "{multibase}");
        assert_eq!(PublicKey::from_multibase(&multibase).unwrap(), pem_key);

        // Base64 (`m`) instead of base58btc, another multicodec, a short key, bad characters.
        assert!(PublicKey::from_multibase(&multibase.replacen('z', "m", 1)).is_err());
        bytes[0] = 0xe7; // secp256k1-pub
        let other = format!("z{}", bs58::encode(&bytes).into_string());
        assert!(PublicKey::from_multibase(&other).is_err());
        assert!(PublicKey::from_multibase(&multibase[..40]).is_err());
        assert!(PublicKey::from_multibase("z0OIl").is_err());
        assert!(PublicKey::from_multibase(&format!("z{}", "1".repeat(200))).is_err());
    }

    #[test]
    fn signing_keys_load_from_pkcs8_and_sign_deterministically() {
        let der = generate_rsa_pkcs8().unwrap();
        let key = SigningKey::from_pkcs8(&der).unwrap();
        let signature = key.sign(b"message").unwrap();
        assert_eq!(signature.len(), 256);
        assert_eq!(key.sign(b"message").unwrap(), signature);
        let public = PublicKey::from_pem(&public_key_pem(&der).unwrap()).unwrap();
        assert_eq!(public.verify(b"message", &signature), Ok(()));
        assert_eq!(
            public.verify(b"messagf", &signature),
            Err(SigError::SignatureInvalid)
        );
        assert!(SigningKey::from_pkcs8(b"not a key").is_err());
        assert_eq!(format!("{key:?}"), "SigningKey(RSA)");
    }
}
