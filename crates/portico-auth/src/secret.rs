//! Random secrets and their stored form.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 bits from the operating system's random source, base64url without padding (43 chars).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `s` has the exact shape of a [`random_token`]: 43 base64url characters that decode
/// canonically to 32 bytes. Checked before hashing or any lookup, so junk costs next to nothing.
pub fn is_random_token(s: &str) -> bool {
    let mut bytes = [0u8; 32];
    s.len() == 43 && matches!(URL_SAFE_NO_PAD.decode_slice(s, &mut bytes), Ok(32))
}

/// `n` random characters of `[0-9A-Za-z]`, for secrets that must survive copy and paste.
pub fn random_alphanumeric(n: usize) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| {
            // Rejection sampling keeps every character equally likely.
            loop {
                let b = (rng.next_u32() & 0xff) as u8;
                if usize::from(b) < 62 * 4 {
                    return CHARS[usize::from(b) % 62] as char;
                }
            }
        })
        .collect()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Compares two hashes in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let s = random_alphanumeric(40);
        assert_eq!(s.len(), 40);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(is_random_token(&a));
    }

    #[test]
    fn token_shape() {
        let t = random_token();
        assert!(is_random_token(&t));
        for bad in [
            String::new(),
            t[..42].to_owned(),
            format!("{t}A"),
            format!("{}=", &t[..42]),
            format!("{}+", &t[..42]),
            format!("{}/", &t[..42]),
            // The 43rd character carries two spare bits; a non-zero one is not canonical.
            "A".repeat(42) + "B",
            "' OR 1=1--".into(),
        ] {
            assert!(!is_random_token(&bad), "{bad} accepted");
        }
        assert!(is_random_token(&("A".repeat(42) + "E")));
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq(&sha256(b"x"), &sha256(b"x")));
        assert!(!constant_time_eq(&sha256(b"x"), &sha256(b"y")));
        assert!(!constant_time_eq(b"ab", b"abc"));
    }
}
