//! Feeding the lab to the detector and scoring what it says.

use super::LabConfig;
use super::generate::{Generated, generate};
use super::scenario::Scenario;
use reference_authority::detection::{DetectionConfig, Detector, Finding, RiskLevel, Subject};

/// How the detector did on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioScore {
    /// The scenario.
    pub scenario: Scenario,
    /// Attacks planted.
    pub planted: usize,
    /// Attacks with at least one finding of their detector in their window.
    pub detected: usize,
    /// Findings of this detector inside a window of this scenario.
    pub true_alerts: usize,
    /// Findings of this detector outside every planted window of the agent.
    pub false_alerts: usize,
}

impl ScenarioScore {
    /// Detected over planted (1 when none was planted).
    pub fn recall(&self) -> f64 {
        if self.planted == 0 {
            return 1.0;
        }
        self.detected as f64 / self.planted as f64
    }

    /// True alerts over all alerts of the detector (1 when it never fired).
    pub fn precision(&self) -> f64 {
        let all = self.true_alerts + self.false_alerts;
        if all == 0 {
            return 1.0;
        }
        self.true_alerts as f64 / all as f64
    }
}

/// The lab's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LabResult {
    /// One score per scenario.
    pub scenarios: Vec<ScenarioScore>,
    /// Findings outside every planted window, per 1,000 agent-days.
    pub false_alerts_per_1000_agent_days: f64,
    /// Over the planted volume spikes (500 records in ten minutes): the
    /// latest record at which the agent's risk first reached HIGH.
    pub seed_case_high_at: Option<usize>,
    /// Agent-days simulated.
    pub agent_days: i64,
    /// Events scored.
    pub events: usize,
}

impl LabResult {
    /// The report lines: `DETECTION <scenario> recall=<r> precision=<p>`,
    /// then `FALSE-ALERTS per-1000-agent-days=<f>` and the seed case.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .scenarios
            .iter()
            .map(|s| {
                format!(
                    "DETECTION {} recall={:.3} precision={:.3}",
                    s.scenario.name(),
                    s.recall(),
                    s.precision()
                )
            })
            .collect();
        out.push(format!(
            "FALSE-ALERTS per-1000-agent-days={:.3}",
            self.false_alerts_per_1000_agent_days
        ));
        out.push(match self.seed_case_high_at {
            Some(n) => format!("SEED-CASE 500-records-in-10-minutes HIGH-at-record={n}"),
            None => "SEED-CASE 500-records-in-10-minutes HIGH-at-record=never".into(),
        });
        out
    }
}

/// Runs the lab: generates, feeds the detector (default configuration),
/// scores.
pub fn run(config: &LabConfig) -> LabResult {
    let lab = generate(config);
    let detector = Detector::new(DetectionConfig::default());
    let mut findings: Vec<Finding> = Vec::new();
    let mut high_at: Vec<Option<usize>> = vec![None; lab.planted.len()];
    let mut events = 0;
    for stream in &lab.streams {
        for (event, tag) in stream {
            events += 1;
            findings.extend(detector.observe(event).findings);
            if let Some((index, position)) = tag
                && let Some(slot) = high_at.get_mut(*index)
                && slot.is_none()
                && let Some(agent) = &event.agent
                && detector.agent_level(agent, event.time) == RiskLevel::High
            {
                *slot = Some(position + 1);
            }
        }
    }
    score(config, &lab, &findings, &high_at, events)
}

fn score(
    config: &LabConfig,
    lab: &Generated,
    findings: &[Finding],
    high_at: &[Option<usize>],
    events: usize,
) -> LabResult {
    let agent_of = |f: &Finding| -> String {
        match &f.subject {
            Subject::Agent(a) => a.clone(),
            Subject::User(u) => lab.owner_of_user.get(u).cloned().unwrap_or_default(),
        }
    };
    let windows = |agent: String| lab.planted.iter().filter(move |p| p.agent == agent);
    let mut scores: Vec<ScenarioScore> = Scenario::all()
        .into_iter()
        .map(|scenario| ScenarioScore {
            scenario,
            planted: lab
                .planted
                .iter()
                .filter(|p| p.scenario == scenario)
                .count(),
            detected: 0,
            true_alerts: 0,
            false_alerts: 0,
        })
        .collect();
    let mut false_alerts = 0usize;
    for f in findings {
        let agent = agent_of(f);
        let inside = |p: &&super::generate::Planted| {
            f.time >= p.start && f.time <= p.start + p.scenario.span()
        };
        let own = windows(agent.clone()).any(|p| p.scenario.0 == f.detector && inside(&p));
        let other = windows(agent).any(|p| inside(&p));
        let Some(s) = scores.iter_mut().find(|s| s.scenario.0 == f.detector) else {
            continue;
        };
        if own {
            s.true_alerts += 1;
        } else if !other {
            s.false_alerts += 1;
            false_alerts += 1;
        }
    }
    for s in &mut scores {
        s.detected = lab
            .planted
            .iter()
            .filter(|p| p.scenario == s.scenario)
            .filter(|p| {
                findings.iter().any(|f| {
                    f.detector == p.scenario.0
                        && agent_of(f) == p.agent
                        && f.time >= p.start
                        && f.time <= p.start + p.scenario.span()
                })
            })
            .count();
    }
    let agent_days = config.agents as i64 * config.days;
    let seed_case_high_at = lab
        .planted
        .iter()
        .zip(high_at)
        .filter(|(p, _)| p.scenario.0.as_str() == "volume_spike")
        .map(|(_, h)| h.unwrap_or(usize::MAX))
        .max()
        .filter(|n| *n != usize::MAX);
    LabResult {
        scenarios: scores,
        false_alerts_per_1000_agent_days: false_alerts as f64 * 1000.0 / agent_days.max(1) as f64,
        seed_case_high_at,
        agent_days,
        events,
    }
}
