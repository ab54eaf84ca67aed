use criterion::{black_box, criterion_group, criterion_main, Criterion};
use criterion_slow::{checksum, sum};

fn bench(c: &mut Criterion) {
    let data: Vec<u64> = (0..4096u64).map(|i| i.wrapping_mul(2654435761)).collect();
    c.bench_function("checksum 4k", |b| b.iter(|| checksum(black_box(&data))));
    c.bench_function("sum 4k", |b| b.iter(|| sum(black_box(&data))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
