#![feature(test)]
extern crate test;

pub fn interpret(n: u32) -> u64 {
    let mut acc: u64 = 0;
    for i in 0..n {
        acc = match i % 3 { 0 => acc.wrapping_add(i as u64), 1 => acc.wrapping_mul(3), _ => acc ^ (acc >> 7) };
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use test::Bencher;

    #[test]
    fn interprets() { assert_eq!(interpret(0), 0); }

    #[bench]
    fn interpret_10k(b: &mut Bencher) { b.iter(|| interpret(test::black_box(10_000))); }

    mod parse_json {
        use test::Bencher;
        #[bench]
        fn nested_arrays_depth_256(b: &mut Bencher) {
            b.bytes = 512;
            b.iter(|| { let s = "[".repeat(256) + &"]".repeat(256); s.len() });
        }
    }
}
