//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as every
//! authenticator app computes them, with aws-lc's HMAC. Secrets are 20 random bytes shown to
//! the user in base32 (RFC 4648, no padding), the form authenticator apps take.

use aws_lc_rs::hmac;
use data_encoding::BASE32_NOPAD;

/// Bytes of a new secret (RFC 4226 recommends 160 bits).
pub const SECRET_BYTES: usize = 20;
/// Seconds per step (RFC 6238's default, what authenticator apps use).
const STEP_SECS: u64 = 30;
/// Steps before and after now that are accepted, for clocks that drift (RFC 6238 §5.2).
const DRIFT_STEPS: u64 = 1;
const DIGITS: u32 = 6;

/// The secret as an authenticator app takes it.
pub fn encode_secret(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The `otpauth://` URI of a secret, which authenticator apps import.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let encode = |text: &str| {
        url::form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        encode(&label),
        encode_secret(secret),
        encode(issuer)
    )
}

/// The code of `secret` for the step that holds `unix_secs`.
pub fn code_at(secret: &[u8], unix_secs: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &(unix_secs / STEP_SECS).to_be_bytes());
    let digest = tag.as_ref();
    // Dynamic truncation (RFC 4226 §5.3).
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// Whether `code` (six digits, spaces allowed) is right for `secret` within one step of
/// `unix_secs`. Returns the step it matched, so a caller can refuse a code used twice.
pub fn check(secret: &[u8], code: &str, unix_secs: u64) -> Option<u64> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = digits.parse().ok()?;
    let now = unix_secs / STEP_SECS;
    (now.saturating_sub(DRIFT_STEPS)..=now + DRIFT_STEPS)
        .find(|step| code_at(secret, step * STEP_SECS) == given)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column (8-digit codes; ours keep the last 6 digits).
    #[test]
    fn matches_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(code_at(secret, time), code % 1_000_000, "at {time}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_nothing_else() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = format!("{:06}", code_at(secret, now));
        assert_eq!(check(secret, &code, now), Some(now / 30));
        assert!(check(secret, &code, now + 30).is_some());
        assert!(check(secret, &code, now + 90).is_none());
        assert!(check(secret, "12345", now).is_none());
        assert!(check(secret, "abcdef", now).is_none());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(check(secret, &spaced, now).is_some());
    }

    #[test]
    fn secrets_are_base32_in_the_provisioning_uri() {
        assert_eq!(
            encode_secret(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        let uri = provisioning_uri(b"12345678901234567890", "social.example", "alice");
        assert!(
            uri.starts_with("otpauth://totp/social.example%3Aalice?secret=GEZDGNBV"),
            "{uri}"
        );
    }
}
