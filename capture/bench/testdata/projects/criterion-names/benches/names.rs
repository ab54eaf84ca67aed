use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use criterion_names::{interpret, parse};

fn names(c: &mut Criterion) {
    // A name with a space, as in the issue.
    c.bench_function("interpret 10k", |b| b.iter(|| interpret(black_box(10_000))));
    // A name Go's benchmark parser would take for one of its own.
    c.bench_function("BenchmarkStyle", |b| b.iter(|| interpret(black_box(100))));
    // A group with spaces and slashes in its function id, a parameter and
    // a throughput; the ids are longer than 23 bytes, so Criterion prints
    // them on a line of their own.
    let mut g = c.benchmark_group("parse json");
    for depth in [16usize, 256] {
        g.throughput(Throughput::Bytes(2 * depth as u64));
        g.bench_with_input(BenchmarkId::new("nested arrays/depth", depth), &depth, |b, &d| b.iter(|| parse(black_box(d))));
    }
    g.finish();
}

criterion_group!(benches, names);
criterion_main!(benches);
