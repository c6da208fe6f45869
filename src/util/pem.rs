//! PEM armour (RFC 7468): the label and DER bytes of one block, and back.

use base64::Engine;

/// The label and DER bytes of one PEM block; `None` if `text` is not one. Lenient as RFC 7468
/// §3 asks of parsers: any line length, CRLF or LF, whitespace around the block; nothing but
/// whitespace outside it. Callers bound the length of `text`.
pub fn decode(text: &str) -> Option<(&str, Vec<u8>)> {
    let text = text.trim();
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let end = format!("-----END {label}-----");
    let body = rest.strip_suffix(end.as_str())?;
    let body: String = body
        .chars()
        .filter(|character| !character.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label, der))
}

/// `der` as a PEM block labelled `label`: base64 in lines of 64 characters.
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER of a public key's PEM (`publicKeyPem`: an SPKI `PUBLIC KEY`, or a PKCS#1 `RSA
/// PUBLIC KEY`), the form a remote actor's key is stored in; `None` for anything else,
/// an empty block included.
pub fn public_key_der(text: &str) -> Option<Vec<u8>> {
    decode(text)
        .filter(|(label, der)| matches!(*label, "PUBLIC KEY" | "RSA PUBLIC KEY") && !der.is_empty())
        .map(|(_, der)| der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_refuse_what_is_not_one() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|line| line.len() <= 64));
        assert_eq!(decode(&text), Some(("PUBLIC KEY", der.clone())));
        assert_eq!(
            public_key_der(&text.replace('\n', "\r\n")),
            Some(der.clone())
        );
        assert_eq!(public_key_der(&encode("PRIVATE KEY", &der)), None);
        assert_eq!(
            public_key_der("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"),
            None
        );
        assert_eq!(decode("pem"), None);
        assert_eq!(decode("-----BEGIN X-----\n!!\n-----END X-----"), None);
        assert_eq!(decode("-----BEGIN X-----\nAA==\n-----END Y-----"), None);
    }
}
