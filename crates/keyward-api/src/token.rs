//! The format of Keyward's secrets: `<prefix><30 × base62 entropy><6 × base62 CRC32>`.
//!
//! It follows GitHub's token format so that a secret is recognisable (by prefix, for
//! secret scanners and for people), carries ≥ 160 random bits (30 × log2 62 ≈ 178),
//! and has a checksum that rejects a mistyped or invented string locally, before any
//! database lookup or network request. The CRC covers the prefix too, so a data key
//! with its prefix swapped for a control prefix fails the checksum instead of being
//! looked up on the wrong plane.
//!
//! Only the SHA-256 of a secret is ever stored (see [`hash`]).

use crate::Secret;
use rand::{distributions::Alphanumeric, rngs::OsRng, Rng};
use sha2::{Digest, Sha256};

/// Random base62 characters in every secret.
pub const ENTROPY_CHARS: usize = 30;
/// Base62 characters of the CRC32 checksum (62^6 > 2^32).
pub const CHECKSUM_CHARS: usize = 6;

/// Which plane a secret belongs to, told by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A data-plane inference key: calls models, cannot manage anything.
    Data,
    /// A control-plane token: manages one project, cannot call inference.
    Control,
}

impl TokenKind {
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Data => "kw_live_",
            TokenKind::Control => "kw_ctl_",
        }
    }

    pub const fn describe(self) -> &'static str {
        match self {
            TokenKind::Data => "inference key",
            TokenKind::Control => "control token",
        }
    }

    fn from_prefix(s: &str) -> Option<(Self, &str)> {
        [TokenKind::Data, TokenKind::Control]
            .into_iter()
            .find_map(|kind| s.strip_prefix(kind.prefix()).map(|rest| (kind, rest)))
    }
}

/// Why a string is not a Keyward secret. Never contains the string itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("it does not start with a Keyward prefix (kw_live_ or kw_ctl_)")]
    UnknownPrefix,
    #[error("it has the wrong length")]
    WrongLength,
    #[error("it contains characters that are not letters or digits")]
    InvalidCharacter,
    #[error("its checksum does not match, so it was mistyped, truncated or invented")]
    ChecksumMismatch,
}

/// Mints a new secret of the given kind from the operating system's CSPRNG.
pub fn generate(kind: TokenKind) -> Secret {
    let mut body = String::with_capacity(kind.prefix().len() + ENTROPY_CHARS + CHECKSUM_CHARS);
    body.push_str(kind.prefix());
    body.extend(
        OsRng
            .sample_iter(&Alphanumeric)
            .take(ENTROPY_CHARS)
            .map(char::from),
    );
    let checksum = checksum(&body);
    body.push_str(&checksum);
    Secret::new(body)
}

/// Checks prefix, length, alphabet and checksum without any lookup.
pub fn parse(candidate: &str) -> Result<TokenKind, TokenFormatError> {
    let candidate = candidate.trim();
    let (kind, rest) = TokenKind::from_prefix(candidate).ok_or(TokenFormatError::UnknownPrefix)?;
    if rest.len() != ENTROPY_CHARS + CHECKSUM_CHARS {
        return Err(TokenFormatError::WrongLength);
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TokenFormatError::InvalidCharacter);
    }
    let (signed, given) = candidate.split_at(candidate.len() - CHECKSUM_CHARS);
    if checksum(signed) != given {
        return Err(TokenFormatError::ChecksumMismatch);
    }
    Ok(kind)
}

/// SHA-256 of the secret: what the database stores and looks secrets up by.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// The masked label shown wherever the key is listed: prefix, the first three
/// entropy characters, an ellipsis, the last four characters (`kw_live_AbC…x9Qz`).
/// It reveals about 18 random bits, far too few to matter, and enough for a person to
/// match a key in the list with the string in their config file.
pub fn masked(secret: &str) -> String {
    let secret = secret.trim();
    let (prefix, rest) = match TokenKind::from_prefix(secret) {
        Some((kind, rest)) => (kind.prefix(), rest),
        None => ("", secret),
    };
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() < 8 {
        return format!("{prefix}…");
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}{head}…{tail}")
}

fn checksum(signed: &str) -> String {
    let crc = crc32fast::hash(signed.as_bytes());
    format!("{:0>width$}", base62::encode(crc), width = CHECKSUM_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_to_their_kind() {
        for kind in [TokenKind::Data, TokenKind::Control] {
            for _ in 0..200 {
                let secret = generate(kind);
                assert_eq!(parse(secret.expose()), Ok(kind));
                assert_eq!(
                    secret.expose().len(),
                    kind.prefix().len() + ENTROPY_CHARS + CHECKSUM_CHARS
                );
            }
        }
    }

    /// Measured on generated secrets, not read off the constants: every entropy position
    /// takes all 62 base62 characters with near-uniform frequency, so the secrets carry
    /// `positions × log2(62)` bits. A smaller alphabet (hex), a fixed or repeated
    /// character, or fewer random positions fails here.
    #[test]
    fn generated_secrets_carry_at_least_160_random_bits() {
        const SAMPLES: usize = 20_000;
        let prefix = TokenKind::Data.prefix().len();
        let mut counts = vec![[0u32; 128]; ENTROPY_CHARS];
        let mut seen = std::collections::HashSet::new();
        for _ in 0..SAMPLES {
            let secret = generate(TokenKind::Data);
            let entropy = &secret.expose().as_bytes()[prefix..prefix + ENTROPY_CHARS];
            for (position, &byte) in entropy.iter().enumerate() {
                counts[position][byte as usize] += 1;
            }
            assert!(seen.insert(entropy.to_vec()), "a secret repeated");
        }
        let mut bits = 0.0;
        for (position, count) in counts.iter().enumerate() {
            let alphabet = count.iter().filter(|&&c| c > 0).count();
            // Pearson's chi-square against uniform over the characters seen; 61 degrees
            // of freedom put the one-in-a-million critical value near 125.
            let expected = SAMPLES as f64 / alphabet as f64;
            let chi2: f64 = count
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            assert_eq!(
                alphabet, 62,
                "position {position} uses {alphabet} characters"
            );
            assert!(
                chi2 < 125.0,
                "position {position} is not uniform (chi² {chi2:.0})"
            );
            bits += (alphabet as f64).log2();
        }
        assert!(bits >= 160.0, "{bits:.1} random bits");
    }

    #[test]
    fn any_single_character_typo_is_rejected() {
        let secret = generate(TokenKind::Data);
        let s = secret.expose();
        let prefix = TokenKind::Data.prefix().len();
        for i in prefix..s.len() {
            let mut bytes = s.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(
                parse(&typo),
                Err(TokenFormatError::ChecksumMismatch),
                "position {i}"
            );
        }
    }

    #[test]
    fn malformed_strings_say_why() {
        assert_eq!(parse("sk-proj-abc"), Err(TokenFormatError::UnknownPrefix));
        assert_eq!(parse("kw_live_short"), Err(TokenFormatError::WrongLength));
        let bad = format!("kw_live_{}", "-".repeat(ENTROPY_CHARS + CHECKSUM_CHARS));
        assert_eq!(parse(&bad), Err(TokenFormatError::InvalidCharacter));
    }

    #[test]
    fn swapping_the_prefix_breaks_the_checksum() {
        let secret = generate(TokenKind::Data);
        let swapped = secret.expose().replacen("kw_live_", "kw_ctl_", 1);
        assert_eq!(parse(&swapped), Err(TokenFormatError::ChecksumMismatch));
    }

    #[test]
    fn masked_label_shows_prefix_head_and_tail_only() {
        let secret = generate(TokenKind::Data);
        let s = secret.expose();
        let label = masked(s);
        assert!(label.starts_with(&format!("kw_live_{}…", &s[8..11])));
        assert!(label.ends_with(&s[s.len() - 4..]));
        assert_eq!(label.chars().count(), 8 + 3 + 1 + 4);
    }
}
