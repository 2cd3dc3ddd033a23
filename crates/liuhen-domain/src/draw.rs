//! Reproducible random draws (R6.4, 附件1 二.6, R3.12): a supervisor's sample of records,
//! cases or officers, and the 双随机 draw of inspectors and inspection targets. Pure: the
//! caller passes the population, the parameters and the seed; the same inputs always give
//! the same selection, so anyone can recompute a draw. Specified in `docs/draws.md`.
//!
//! The procedure is RFC 3797's (section 4): for the j-th pick (j = 0, 1, …) hash
//! `u16be(j) ‖ key ‖ u16be(j)`, read the digest as an unsigned big-endian integer, take it
//! modulo the number of items not yet picked, and pick that item (0-based) among the
//! remaining ones in population order. [`Method::Rfc3797`] uses MD5 exactly as the RFC;
//! [`Method::Sha256`] (the default) and [`Method::Sm3`] use a 256-bit digest and redraw
//! (appending `u32be(round)`) in the rare case that the value falls into the incomplete
//! top block, so every remaining item is exactly equally likely.

use md5::Md5;
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// The hash of a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// RFC 3797 exactly: MD5, 128-bit value modulo the remaining count.
    Rfc3797,
    /// SHA-256, unbiased (redraw in the incomplete top block). The default.
    Sha256,
    /// SM3 (GB/T 32905), unbiased like [`Method::Sha256`].
    Sm3,
}

impl Method {
    pub const ALL: [Method; 3] = [Self::Sha256, Self::Sm3, Self::Rfc3797];

    pub fn code(self) -> &'static str {
        match self {
            Self::Rfc3797 => "rfc3797-md5",
            Self::Sha256 => "sha256",
            Self::Sm3 => "sm3",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            Self::Rfc3797 => run::<Md5>(parts),
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sm3 => run::<Sm3>(parts),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("抽取总体为空")]
    EmptyPopulation,
    #[error("抽取总体中有重复项：{0}")]
    Duplicate(String),
    #[error("抽取总体中有空白项")]
    BlankItem,
    #[error("抽取数量 {count} 超出总体数量 {population}")]
    TooMany { count: usize, population: usize },
    #[error("一次最多抽取 65535 项")]
    TooManyPicks,
    #[error("随机源格式错误：{0}（每个随机源为以空格分隔的非负整数）")]
    BadSource(String),
}

/// The population in its published order: items trimmed, sorted by their UTF-8 bytes.
/// Blank or repeated items are refused (a repeated item would count twice).
pub fn canonical_population<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, DrawError> {
    let mut out: Vec<String> = items.iter().map(|s| s.as_ref().trim().to_owned()).collect();
    if out.is_empty() {
        return Err(DrawError::EmptyPopulation);
    }
    if out.iter().any(String::is_empty) {
        return Err(DrawError::BlankItem);
    }
    out.sort();
    if let Some(w) = out.windows(2).find(|w| w[0] == w[1]) {
        return Err(DrawError::Duplicate(w[0].clone()));
    }
    Ok(out)
}

/// SHA-256 (hex) of the canonical population: each item followed by a line feed.
pub fn population_digest(population: &[String]) -> String {
    let mut h = Sha256::new();
    for item in population {
        h.update(item.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// How many to pick: `ceil(population × permille / 1000)`, at least `minimum`, at most the
/// whole population.
pub fn sample_size(population: usize, permille: u32, minimum: usize) -> usize {
    let by_share = (population as u128 * u128::from(permille)).div_ceil(1000) as usize;
    by_share.max(minimum).min(population)
}

/// RFC 3797 section 4's key string from numeric sources: each source's values sorted
/// ascending, each written in decimal followed by `.`, each source followed by `/`.
/// A source is given as text: non-negative integers separated by spaces.
pub fn rfc3797_key<S: AsRef<str>>(sources: &[S]) -> Result<String, DrawError> {
    let mut key = String::new();
    for s in sources {
        let s = s.as_ref();
        let mut values = s
            .split_whitespace()
            .map(|v| {
                if v.bytes().all(|b| b.is_ascii_digit()) {
                    v.parse::<u128>().ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u128>>>()
            .ok_or_else(|| DrawError::BadSource(s.to_owned()))?;
        if values.is_empty() {
            return Err(DrawError::BadSource(s.to_owned()));
        }
        values.sort_unstable();
        for v in values {
            key.push_str(&v.to_string());
            key.push('.');
        }
        key.push('/');
    }
    Ok(key)
}

/// The key of a draw seeded by a signed checkpoint (the default): one line per field, each
/// ending in a line feed (see `docs/draws.md`).
pub fn checkpoint_key(
    draw_id: &str,
    method: Method,
    count: usize,
    population_digest: &str,
    tree_size: u64,
    root_hex: &str,
) -> String {
    format!(
        "liuhen-draw/1\ndraw:{draw_id}\nmethod:{}\ncount:{count}\npopulation:{population_digest}\ncheckpoint:{tree_size}:{root_hex}\n",
        method.code()
    )
}

/// Picks `count` of `population` items (0-based positions in population order), in the
/// order they were drawn.
pub fn select(
    method: Method,
    key: &[u8],
    population: usize,
    count: usize,
) -> Result<Vec<usize>, DrawError> {
    if population == 0 {
        return Err(DrawError::EmptyPopulation);
    }
    if count > population {
        return Err(DrawError::TooMany { count, population });
    }
    if count > usize::from(u16::MAX) + 1 {
        return Err(DrawError::TooManyPicks);
    }
    let mut remaining: Vec<usize> = (0..population).collect();
    let mut picked = Vec::with_capacity(count);
    for j in 0..count {
        let j16 = (j as u16).to_be_bytes();
        let n = remaining.len() as u64;
        let mut round: u32 = 0;
        let index = loop {
            let digest = if round == 0 {
                method.digest(&[&j16, key, &j16])
            } else {
                method.digest(&[&j16, key, &j16, &round.to_be_bytes()])
            };
            if method == Method::Rfc3797 || !in_biased_tail(&digest, n) {
                break mod_be(&digest, n);
            }
            round += 1;
        };
        picked.push(remaining.remove(index as usize));
    }
    Ok(picked)
}

/// The big-endian unsigned integer `bytes` modulo `n`.
pub fn mod_be(bytes: &[u8], n: u64) -> u64 {
    let n = u128::from(n);
    let mut r: u128 = 0;
    for b in bytes {
        r = ((r << 8) | u128::from(*b)) % n;
    }
    r as u64
}

/// Whether a 256-bit value lies in the incomplete top block `[2^256 − (2^256 mod n), 2^256)`,
/// where taking it modulo `n` would favour the small residues.
pub fn in_biased_tail(digest: &[u8], n: u64) -> bool {
    debug_assert_eq!(digest.len(), 32);
    // 2^256 mod n: a one followed by 32 zero bytes.
    let mut m: u128 = 1 % u128::from(n);
    for _ in 0..32 {
        m = (m << 8) % u128::from(n);
    }
    if m == 0 {
        return false;
    }
    // m < n ≤ 2^64, so the tail starts with 24 bytes of 0xFF and its low 64 bits ≥ 2^64 − m.
    if digest[..24].iter().any(|b| *b != 0xFF) {
        return false;
    }
    let low = u64::from_be_bytes(digest[24..32].try_into().unwrap_or([0; 8]));
    u128::from(low) >= (1u128 << 64) - m
}
