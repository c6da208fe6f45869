//! Randomness from the operating system, through aws-lc's RNG.

use base64::Engine;

/// `bytes` random bytes as URL-safe base64 without padding: tokens, codes, client secrets.
pub fn token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    fill(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// Fills `buffer` from the system RNG.
pub fn fill(buffer: &mut [u8]) {
    aws_lc_rs::rand::fill(buffer).expect("the system RNG does not fail once the process runs");
}
