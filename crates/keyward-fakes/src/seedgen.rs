//! Deterministic material for generated seeds: a small PRNG (splitmix64, so the same
//! seed gives the same organisation on every platform and Rust version) and secrets in
//! each platform's real format.

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// `len` characters of base64url, as the platforms' secrets use.
    pub(crate) fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| ALPHABET[self.below(64) as usize] as char)
            .collect()
    }

    /// `len` lower-case alphanumerics, for object ids.
    pub(crate) fn id(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.below(36) as usize] as char)
            .collect()
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub(crate) const PEOPLE: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace"),
    ("Alan Turing", "alan"),
    ("Katherine Johnson", "katherine"),
    ("Edsger Dijkstra", "edsger"),
    ("Barbara Liskov", "barbara"),
];

pub(crate) const KEY_PURPOSES: &[&str] = &[
    "ci",
    "staging",
    "prod-backend",
    "notebook",
    "batch-jobs",
    "support-bot",
    "evals",
    "search",
];
