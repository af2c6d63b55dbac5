//! `threat-lab`: generates seeded, labelled agent activity with planted
//! attacks and prints how the detector did on each.
//!
//! Usage: `threat-lab [--agents N] [--days D] [--seed S]` (defaults 200, 30, 2026).

use examples::threat_lab::{LabConfig, run};

fn main() {
    let mut config = LabConfig::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pairs = args.chunks(2);
    while let Some([flag, value]) = pairs.next() {
        let parsed: Option<u64> = value.parse().ok();
        match (flag.as_str(), parsed) {
            ("--agents", Some(v)) => config.agents = v as usize,
            ("--days", Some(v)) => config.days = v as i64,
            ("--seed", Some(v)) => config.seed = v,
            _ => {
                eprintln!("usage: threat-lab [--agents N] [--days D] [--seed S]");
                std::process::exit(2);
            }
        }
    }
    let result = run(&config);
    println!(
        "threat-lab: {} agents x {} days (seed {}), {} events",
        config.agents, config.days, config.seed, result.events
    );
    for line in result.lines() {
        println!("{line}");
    }
}
