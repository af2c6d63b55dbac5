//! `compare [GROUP...]`: side-by-side measurements, one `RATIO <name> <value>`
//! line per comparison (our time / baseline time; lower is better).
//! Groups: `jwt`, `ciba`. Without arguments, every group runs.

fn main() {
    let groups: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| groups.is_empty() || groups.iter().any(|g| g == name);
    let mut ran = false;
    if wants("jwt") {
        benches::jwt::run();
        ran = true;
    }
    if wants("ciba") {
        benches::ciba::run();
        ran = true;
    }
    if !ran {
        eprintln!("unknown group; known groups: jwt, ciba");
        std::process::exit(2);
    }
}
