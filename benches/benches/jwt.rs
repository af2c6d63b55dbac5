//! Criterion benches of the `jwt` group's paths, for profiling.
#![allow(missing_docs)]

use agent_auth::jose::Algorithm;
use benches::jwt::Fixture;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn jwt(c: &mut Criterion) {
    for (alg, name) in [
        (Algorithm::Rs256, "rs256"),
        (Algorithm::Es256, "es256"),
        (Algorithm::EdDsa, "eddsa"),
    ] {
        let f = Fixture::new(alg);
        let mut group = c.benchmark_group(format!("jwt/{name}"));
        group.bench_function("ours", |b| b.iter(|| black_box(f.ours())));
        group.bench_function("floor", |b| b.iter(|| black_box(f.floor())));
        group.bench_function("jsonwebtoken", |b| b.iter(|| black_box(f.jsonwebtoken())));
        group.finish();
    }
}

criterion_group!(benches, jwt);
criterion_main!(benches);
