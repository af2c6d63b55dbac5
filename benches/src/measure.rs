//! Paired measurement: ours and the baseline run in alternating batches, so
//! drift on a shared machine hits both; the reported ratio is the median of
//! the per-round ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Rounds of paired batches.
const ROUNDS: usize = 31;
/// Target duration of one batch.
const BATCH: Duration = Duration::from_millis(20);

/// Time per call of `f`, in nanoseconds, over `n` calls.
fn batch_ns(n: u64, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// How many calls of `f` fill about one batch.
fn calibrate(f: &mut impl FnMut()) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let spent = start.elapsed();
        if spent >= BATCH / 4 || n >= 1 << 30 {
            let per_call = spent.as_nanos().max(1) as f64 / n as f64;
            return ((BATCH.as_nanos() as f64 / per_call) as u64).max(1);
        }
        n *= 2;
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One comparison's result.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    /// Median of per-round `ours / baseline`.
    pub ratio: f64,
    /// Median time per call of ours, in nanoseconds.
    pub ours_ns: f64,
    /// Median time per call of the baseline, in nanoseconds.
    pub baseline_ns: f64,
}

/// Measures `ours` against `baseline` and prints
/// `RATIO <name> <value>` followed by the absolute times.
pub fn compare(name: &str, mut ours: impl FnMut(), mut baseline: impl FnMut()) -> Comparison {
    let n_ours = calibrate(&mut ours);
    let n_base = calibrate(&mut baseline);
    let (mut ratios, mut ours_t, mut base_t) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (o, b) = if round % 2 == 0 {
            let o = batch_ns(n_ours, &mut ours);
            (o, batch_ns(n_base, &mut baseline))
        } else {
            let b = batch_ns(n_base, &mut baseline);
            (batch_ns(n_ours, &mut ours), b)
        };
        ratios.push(o / b);
        ours_t.push(o);
        base_t.push(b);
    }
    report(name, &mut ratios, &mut ours_t, &mut base_t)
}

/// Prints `RATIO <name> <median ratio>` and the median absolute times of
/// paired rounds measured elsewhere.
pub fn report(
    name: &str,
    ratios: &mut [f64],
    ours_ns: &mut [f64],
    baseline_ns: &mut [f64],
) -> Comparison {
    let result = Comparison {
        ratio: median(ratios),
        ours_ns: median(ours_ns),
        baseline_ns: median(baseline_ns),
    };
    println!("RATIO {name} {:.3}", result.ratio);
    println!(
        "  {name}: ours {:.0} ns, baseline {:.0} ns per call",
        result.ours_ns, result.baseline_ns
    );
    result
}

/// Keeps a value alive for the optimizer.
pub fn keep<T>(value: T) {
    black_box(value);
}

/// Prints why a benchmark fixture failed and exits with status 2.
pub fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("benchmark fixture failed: {e}");
    std::process::exit(2)
}

/// A deterministic pseudo-random sequence (64-bit LCG): each call gives a number below
/// its bound (0 for a bound of 0).
pub fn lcg(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |bound| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((state >> 33) % bound.max(1) as u64).unwrap_or(0)
    }
}

/// Resident set size of this process, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The median duration of `runs` calls of `f`, each timed on its own.
pub fn median_duration(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times.get(runs / 2).copied().unwrap_or_default()
}
