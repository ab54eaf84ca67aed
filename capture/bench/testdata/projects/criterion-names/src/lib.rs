//! Tiny workloads whose Criterion benchmarks carry the names users give
//! them: spaces, slashes, a group, a parameter, a throughput.

/// Runs a toy stack machine for n steps and returns its accumulator.
pub fn interpret(n: u32) -> u64 {
    let mut acc: u64 = 0;
    for i in 0..n {
        acc = match i % 3 {
            0 => acc.wrapping_add(i as u64),
            1 => acc.wrapping_mul(3),
            _ => acc ^ (acc >> 7),
        };
    }
    acc
}

/// Counts the brackets of a JSON-like text nested depth deep.
pub fn parse(depth: usize) -> usize {
    let text: String = "[".repeat(depth) + &"]".repeat(depth);
    text.bytes().filter(|&b| b == b'[' || b == b']').count()
}
