use criterion::{black_box, criterion_group, criterion_main, Criterion};
use criterion_demo::{countdown, interpret};

fn bench_vm(c: &mut Criterion) {
    let program = countdown(1000);
    let mut stack = Vec::with_capacity(16);
    c.bench_function("interpret 1k", |b| {
        b.iter(|| interpret(black_box(&program), &mut stack))
    });
}

criterion_group!(benches, bench_vm);
criterion_main!(benches);
