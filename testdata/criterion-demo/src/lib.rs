//! A workload with a known hot function, for perfcap's end-to-end tests.

/// Naive Fibonacci: exponential, so nearly all samples land in it.
#[inline(never)]
pub fn fibonacci(n: u64) -> u64 {
    match n {
        0 | 1 => 1,
        n => fibonacci(n - 1) + fibonacci(n - 2),
    }
}
