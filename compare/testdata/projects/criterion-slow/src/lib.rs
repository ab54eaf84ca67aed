//! Functions for perfcap diff's tests: the test raises ROUNDS between two
//! commits to make `mix` slower, which `checksum` calls beside `fold`, and
//! leaves `sum` alone.

/// How many times `mix` mixes each word.
pub const ROUNDS: u32 = 2;

/// Mixes and folds the words of data: the benchmarked function.
#[inline(never)]
pub fn checksum(data: &[u64]) -> u64 {
    mix(data) ^ fold(data)
}

/// Mixes the words of data into one, ROUNDS times each.
#[inline(never)]
pub fn mix(data: &[u64]) -> u64 {
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

/// Folds the words of data with a multiply-xor, a fixed amount of work.
#[inline(never)]
pub fn fold(data: &[u64]) -> u64 {
    let mut h: u64 = 0;
    for &w in data {
        h = (h ^ w).wrapping_mul(0x9E3779B97F4A7C15).rotate_left(31);
        h = (h ^ w).wrapping_mul(0x9E3779B97F4A7C15).rotate_left(31);
    }
    h
}

/// Adds the words of data.
#[inline(never)]
pub fn sum(data: &[u64]) -> u64 {
    data.iter().fold(0u64, |s, &w| s.wrapping_add(w))
}
