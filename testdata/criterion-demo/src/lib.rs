//! Workloads with known hot functions, for perfcap's end-to-end tests.

/// Naive Fibonacci: exponential, so nearly all samples land in it.
#[inline(never)]
pub fn fibonacci(n: u64) -> u64 {
    match n {
        0 | 1 => 1,
        n => fibonacci(n - 1) + fibonacci(n - 2),
    }
}

/// One instruction of a small stack machine.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Push a constant.
    Push(i64),
    /// Pop two values, push their sum.
    Add,
    /// Pop two values, push their product modulo a prime.
    MulMod,
    /// Push a copy of the top.
    Dup,
    /// Subtract one from the top.
    Dec,
    /// Swap the two values on top.
    Swap,
    /// Pop; jump to the target when the popped value is not zero.
    JumpIfNonZero(usize),
    /// Pop and discard.
    Drop,
}

/// A loop that runs `n` times, mixing an accumulator: the stack machine's
/// benchmark program.
pub fn countdown(n: i64) -> Vec<Op> {
    use Op::*;
    vec![
        Push(7),           // acc
        Push(n),           // acc counter
        Swap,              // counter acc      <- loop start (2)
        Push(31),
        MulMod,            // counter acc*31
        Push(11),
        Add,               // counter acc'
        Swap,              // acc' counter
        Dec,               // acc' counter-1
        Dup,               // acc' c c
        JumpIfNonZero(2),  // acc' c
        Drop,              // acc'
    ]
}

/// Runs a stack-machine program and returns the value left on top.
///
/// Marked `#[inline(always)]`, as an interpreter's hot loop often ends up:
/// the benchmark's closure, and with it this loop, is inlined into
/// Criterion's `Bencher::iter`, so the function only shows in a profile
/// that resolves inlined frames.
#[inline(always)]
pub fn interpret(program: &[Op], stack: &mut Vec<i64>) -> i64 {
    stack.clear();
    let mut pc = 0;
    while pc < program.len() {
        match program[pc] {
            Op::Push(v) => stack.push(v),
            Op::Add => {
                let b = stack.pop().unwrap_or(0);
                let a = stack.pop().unwrap_or(0);
                stack.push(a.wrapping_add(b));
            }
            Op::MulMod => {
                let b = stack.pop().unwrap_or(0);
                let a = stack.pop().unwrap_or(0);
                stack.push(a.wrapping_mul(b) % 1_000_000_007);
            }
            Op::Dup => {
                let a = *stack.last().unwrap_or(&0);
                stack.push(a);
            }
            Op::Dec => {
                if let Some(top) = stack.last_mut() {
                    *top -= 1;
                }
            }
            Op::Swap => {
                let n = stack.len();
                if n >= 2 {
                    stack.swap(n - 1, n - 2);
                }
            }
            Op::JumpIfNonZero(target) => {
                if stack.pop().unwrap_or(0) != 0 {
                    pc = target;
                    continue;
                }
            }
            Op::Drop => {
                stack.pop();
            }
        }
        pc += 1;
    }
    stack.last().copied().unwrap_or(0)
}
