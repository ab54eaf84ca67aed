//! Two functions for perfcap diff's tests: the test raises ROUNDS between
//! two commits to make `checksum` slower, and leaves `sum` alone.

/// How many times `checksum` mixes each word.
pub const ROUNDS: u32 = 2;

/// Mixes the words of data into one.
#[inline(never)]
pub fn checksum(data: &[u64]) -> u64 {
    let mut h: u64 = 14695981039346656037;
    for &w in data {
        for _ in 0..ROUNDS {
            h ^= w;
            h = h.wrapping_mul(1099511628211);
            h = h.rotate_left(13);
        }
    }
    h
}

/// Adds the words of data.
#[inline(never)]
pub fn sum(data: &[u64]) -> u64 {
    data.iter().fold(0u64, |s, &w| s.wrapping_add(w))
}
