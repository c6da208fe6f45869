//! Web Push cryptography, pure functions over bytes: the server's VAPID key (RFC 8292,
//! ECDSA P-256) and its JWT, and message encryption as RFC 8291 requires (ECDH P-256,
//! HKDF-SHA-256, AES-128-GCM in the `aes128gcm` content coding of RFC 8188). `Subscriber`
//! is the receiving side (a browser's keys), for tests and tools.

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, UnparsedPublicKey};
use aws_lc_rs::hkdf::{self, HKDF_SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::SigError;

/// Bytes of an uncompressed P-256 public key (`0x04 || x || y`).
pub const PUBLIC_KEY_BYTES: usize = 65;
/// Bytes of a subscription's `auth` secret (RFC 8291: 16).
pub const AUTH_SECRET_BYTES: usize = 16;
/// The record size announced in the header; one record holds the whole message.
const RECORD_BYTES: u32 = 4096;
/// Largest plaintext sent: a push service must accept 4,096 bytes of encrypted payload
/// (RFC 8030), which the header (86), padding delimiter (1) and tag (16) share.
pub const PLAINTEXT_BYTES_MAX: usize = 3_993;

/// A new VAPID private key as PKCS#8 DER.
pub fn generate_vapid_pkcs8() -> Result<Vec<u8>, SigError> {
    let rng = SystemRandom::new();
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| SigError::Generate)
}

/// The server's VAPID key.
pub struct VapidKey {
    pair: EcdsaKeyPair,
}

impl VapidKey {
    pub fn from_pkcs8(der: &[u8]) -> Result<VapidKey, SigError> {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map(|pair| VapidKey { pair })
            .map_err(|error| SigError::KeyRejected(error.to_string()))
    }

    /// The public key, uncompressed, base64url without padding: Mastodon's `vapid_key`.
    pub fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    /// The `Authorization` header of a push request to `audience` (the endpoint's origin),
    /// valid until `expires_secs`: `vapid t=<JWT>, k=<public key>` (RFC 8292).
    pub fn authorization(
        &self,
        audience: &str,
        expires_secs: u64,
        subject: &str,
    ) -> Result<String, SigError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": expires_secs, "sub": subject });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let rng = SystemRandom::new();
        let signature = self
            .pair
            .sign(&rng, signing_input.as_bytes())
            .map_err(|_| SigError::Sign)?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.as_ref()),
            self.public_key_base64url()
        ))
    }
}

/// An HKDF output length.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), SigError> {
    hkdf::Salt::new(HKDF_SHA256, salt)
        .extract(ikm)
        .expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| SigError::Encode)
}

/// Content key and nonce of a message (RFC 8291 section 3.4, RFC 8188 section 2.2).
fn key_and_nonce(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> Result<([u8; 16], [u8; 12]), SigError> {
    let mut ikm = [0u8; 32];
    hkdf(
        auth_secret,
        ecdh_secret,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm,
    )?;
    let mut key = [0u8; 16];
    hkdf(salt, &ikm, &[b"Content-Encoding: aes128gcm\0"], &mut key)?;
    let mut nonce = [0u8; 12];
    hkdf(salt, &ikm, &[b"Content-Encoding: nonce\0"], &mut nonce)?;
    Ok((key, nonce))
}

/// Encrypts `plaintext` for a subscription's `p256dh` key and `auth` secret: the body of a
/// push request with `Content-Encoding: aes128gcm`.
pub fn encrypt(
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SigError> {
    if ua_public.len() != PUBLIC_KEY_BYTES || auth_secret.len() != AUTH_SECRET_BYTES {
        return Err(SigError::KeyRejected(
            "not a Web Push subscription key".into(),
        ));
    }
    if plaintext.len() > PLAINTEXT_BYTES_MAX {
        return Err(SigError::Encode);
    }
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| SigError::Generate)?;
    // A fresh key per message (RFC 8291 section 3.1); a `PrivateKey` rather than aws-lc's
    // `EphemeralPrivateKey` only so that the RFC's example can be checked with fixed inputs.
    let ephemeral = agreement::PrivateKey::generate(&ECDH_P256).map_err(|_| SigError::Generate)?;
    encrypt_with(&ephemeral, &salt, ua_public, auth_secret, plaintext)
}

fn encrypt_with(
    as_private: &agreement::PrivateKey,
    salt: &[u8; 16],
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SigError> {
    let as_public = as_private
        .compute_public_key()
        .map_err(|_| SigError::Generate)?
        .as_ref()
        .to_vec();
    let (key, nonce) = agreement::agree(
        as_private,
        UnparsedPublicKey::new(&ECDH_P256, ua_public),
        SigError::KeyRejected("the subscription key is not on P-256".into()),
        |secret| key_and_nonce(secret, auth_secret, ua_public, &as_public, salt),
    )?;
    let mut record = plaintext.to_vec();
    // The last (and only) record ends with the delimiter 0x02, without padding.
    record.push(2);
    seal(&key, nonce, &mut record)?;
    let mut body = Vec::with_capacity(86 + record.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_BYTES.to_be_bytes());
    body.push(PUBLIC_KEY_BYTES as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

fn seal(key: &[u8; 16], nonce: [u8; 12], record: &mut Vec<u8>) -> Result<(), SigError> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, key).map_err(|_| SigError::Encode)?);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), record)
        .map_err(|_| SigError::Encode)
}

/// A push subscriber's keys (what a browser holds), for tests and tools.
pub struct Subscriber {
    private: agreement::PrivateKey,
    pub public: Vec<u8>,
    pub auth_secret: [u8; AUTH_SECRET_BYTES],
}

impl Subscriber {
    pub fn generate() -> Result<Subscriber, SigError> {
        let private =
            agreement::PrivateKey::generate(&ECDH_P256).map_err(|_| SigError::Generate)?;
        let public = private
            .compute_public_key()
            .map_err(|_| SigError::Generate)?
            .as_ref()
            .to_vec();
        let mut auth_secret = [0u8; AUTH_SECRET_BYTES];
        SystemRandom::new()
            .fill(&mut auth_secret)
            .map_err(|_| SigError::Generate)?;
        Ok(Subscriber {
            private,
            public,
            auth_secret,
        })
    }

    /// Decrypts an `aes128gcm` push body sent to this subscriber.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, SigError> {
        let malformed = || SigError::Malformed("not an aes128gcm body");
        if body.len() < 86 + 16 || usize::from(body[20]) != PUBLIC_KEY_BYTES {
            return Err(malformed());
        }
        let (salt, as_public, record) = (&body[..16], &body[21..86], &body[86..]);
        let (key, nonce) = agreement::agree(
            &self.private,
            UnparsedPublicKey::new(&ECDH_P256, as_public),
            malformed(),
            |secret| key_and_nonce(secret, &self.auth_secret, &self.public, as_public, salt),
        )?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).map_err(|_| malformed())?);
        let mut record = record.to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut record,
            )
            .map_err(|_| malformed())?;
        // Strip the padding and the delimiter (0x02 for the last record).
        let end = plain
            .iter()
            .rposition(|byte| *byte != 0)
            .ok_or_else(malformed)?;
        if plain[end] != 2 {
            return Err(malformed());
        }
        Ok(plain[..end].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291, Appendix A: the example's keys, salt and message give its exact body.
    #[test]
    fn the_example_of_rfc_8291() {
        let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).unwrap();
        let as_private = agreement::PrivateKey::from_private_key(
            &ECDH_P256,
            &decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
        )
        .unwrap();
        let ua_public = decode(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth_secret = decode("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = decode("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            &as_private,
            &salt,
            &ua_public,
            &auth_secret,
            b"When I grow up, I want to be a watermelon",
        )
        .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        let subscriber = Subscriber {
            private: agreement::PrivateKey::from_private_key(
                &ECDH_P256,
                &decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"),
            )
            .unwrap(),
            public: ua_public,
            auth_secret: auth_secret.try_into().unwrap(),
        };
        assert_eq!(
            subscriber.decrypt(&body).unwrap(),
            b"When I grow up, I want to be a watermelon"
        );
    }

    #[test]
    fn a_subscriber_decrypts_what_the_server_encrypts() {
        let subscriber = Subscriber::generate().unwrap();
        let message = br#"{"title":"hello"}"#;
        let body = encrypt(&subscriber.public, &subscriber.auth_secret, message).unwrap();
        assert_eq!(&body[16..20], &4096u32.to_be_bytes());
        assert_eq!(subscriber.decrypt(&body).unwrap(), message);
        let mut tampered = body.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(subscriber.decrypt(&tampered).is_err());
        let other = Subscriber::generate().unwrap();
        assert!(other.decrypt(&body).is_err());
        assert!(encrypt(&subscriber.public[..64], &subscriber.auth_secret, message).is_err());
    }

    #[test]
    fn vapid_authorization_is_a_verifiable_es256_jwt() {
        let key = VapidKey::from_pkcs8(&generate_vapid_pkcs8().unwrap()).unwrap();
        let header = key
            .authorization("https://push.example", 1_800_000_000, "mailto:a@b.example")
            .unwrap();
        let (token, public) = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(public, key.public_key_base64url());
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let public = URL_SAFE_NO_PAD.decode(public).unwrap();
        assert_eq!(public.len(), PUBLIC_KEY_BYTES);
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            &public,
        )
        .verify(
            signing_input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .unwrap();
        let claims = signing_input.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
    }
}
