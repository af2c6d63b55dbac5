//! A small threat-lab run meets the targets: recall of at least 0.95 and
//! precision of at least 0.90 for every scenario, at most one false alert
//! per 1,000 agent-days, and the seed's 500 records in ten minutes HIGH
//! before the 50th record.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use examples::threat_lab::{LabConfig, run};

#[test]
fn a_small_threat_lab_meets_every_target() {
    let result = run(&LabConfig {
        agents: 60,
        days: 24,
        seed: 99,
    });
    assert_eq!(result.scenarios.len(), 9);
    for s in &result.scenarios {
        assert!(s.planted > 0, "{} was not planted", s.scenario.name());
        assert!(
            s.recall() >= 0.95,
            "{}: recall {}",
            s.scenario.name(),
            s.recall()
        );
        assert!(
            s.precision() >= 0.90,
            "{}: precision {}",
            s.scenario.name(),
            s.precision()
        );
    }
    assert!(result.false_alerts_per_1000_agent_days <= 1.0, "{result:?}");
    let n = result
        .seed_case_high_at
        .expect("the seed case never reached HIGH");
    assert!(n < 50, "HIGH at record {n}");
    assert!(result.lines()[0].starts_with("DETECTION volume_spike recall="));
}

#[test]
fn the_lab_is_reproducible_from_its_seed() {
    let config = LabConfig {
        agents: 10,
        days: 12,
        seed: 5,
    };
    assert_eq!(run(&config), run(&config));
}
