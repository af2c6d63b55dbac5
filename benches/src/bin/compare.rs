//! `compare [GROUP...]`: side-by-side measurements, one `RATIO <name> <value>`
//! line per comparison (our time / baseline time; lower is better). Without
//! arguments, every group runs.

/// The groups, by name.
const GROUPS: &[(&str, fn())] = &[
    ("jwt", benches::jwt::run),
    ("authority", benches::authority::run),
    ("fga", benches::fga::run),
    ("fga_scale", benches::fga_scale::run),
    ("vault", benches::vault::run),
    ("ciba", benches::ciba::run),
    ("control", benches::control::run),
    ("mcp_guard", benches::mcp_guard::run),
    ("audit", benches::audit::run),
    ("logout", benches::logout::run),
    ("detect", benches::detect::run),
];

fn main() {
    let asked: Vec<String> = std::env::args().skip(1).collect();
    let unknown: Vec<&String> = asked
        .iter()
        .filter(|a| !GROUPS.iter().any(|(name, _)| name == a))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = GROUPS.iter().map(|(name, _)| *name).collect();
        eprintln!(
            "unknown group {unknown:?}; known groups: {}",
            known.join(", ")
        );
        std::process::exit(2);
    }
    for (name, run) in GROUPS {
        if asked.is_empty() || asked.iter().any(|a| a == name) {
            run();
        }
    }
}
