use criterion::{black_box, criterion_group, criterion_main, Criterion};
use criterion_demo::fibonacci;

fn bench_fib(c: &mut Criterion) {
    c.bench_function("fib 20", |b| b.iter(|| fibonacci(black_box(20))));
}

criterion_group!(benches, bench_fib);
criterion_main!(benches);
