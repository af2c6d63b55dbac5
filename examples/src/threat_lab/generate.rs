//! Normal agent activity: work hours, weekly cycles, holidays, busy days,
//! a little late work, new records of known types, refusals now and then,
//! approvals asked, one token per day and network.

use super::LabConfig;
use super::rng::Rng;
use super::scenario::Scenario;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use std::collections::HashMap;

/// Midnight UTC on a Monday.
pub(crate) const DAY0: i64 = 1_750_032_000;
/// Days before any attack is planted (the detector's learning, and more).
pub(crate) const CLEAN_DAYS: i64 = 8;

const TYPES: [&str; 6] = [
    "crm://contacts",
    "docs://proposals",
    "mail://threads",
    "calendar://events",
    "tickets://queue",
    "wiki://pages",
];

/// One planted attack.
#[derive(Debug, Clone)]
pub(crate) struct Planted {
    pub(crate) agent: String,
    pub(crate) scenario: Scenario,
    pub(crate) start: i64,
}

/// An event, tagged with the attack it belongs to (its index among the
/// planted) and its position in it; `None` for normal activity.
pub(crate) type Tagged = (AuditEvent, Option<(usize, usize)>);

/// The lab's events, agent by agent in time order.
#[derive(Debug, Default)]
pub(crate) struct Generated {
    pub(crate) streams: Vec<Vec<Tagged>>,
    pub(crate) planted: Vec<Planted>,
    pub(crate) owner_of_user: HashMap<String, String>,
}

struct Profile {
    id: String,
    nets: Vec<String>,
    types: Vec<&'static str>,
    users: Vec<String>,
    volume: i64,
    start_hour: i64,
    hours: i64,
}

fn profile(k: usize, rng: &mut Rng) -> Profile {
    let id = format!("agent-{k:04}");
    let mut nets = vec![format!("10.{}.{}.0/24", k / 256, k % 256)];
    if rng.chance(0.3) {
        nets.push(format!("10.200.{}.0/24", k % 256));
    }
    let mut types: Vec<&'static str> = TYPES.to_vec();
    let keep = rng.range(2, 5) as usize;
    while types.len() > keep {
        let drop = rng.range(0, types.len() as i64) as usize;
        types.remove(drop);
    }
    let users = (0..rng.range(1, 4)).map(|j| format!("{id}-u{j}")).collect();
    Profile {
        id,
        nets,
        types,
        users,
        volume: rng.range(10, 41),
        start_hour: rng.range(7, 11),
        hours: rng.range(8, 11),
    }
}

pub(crate) fn generate(config: &LabConfig) -> Generated {
    let mut rng = Rng::new(config.seed);
    let mut out = Generated::default();
    let holidays: Vec<i64> = (0..(config.days / 15).max(1))
        .map(|_| rng.range(CLEAN_DAYS, config.days.max(CLEAN_DAYS + 1)))
        .collect();
    let scenarios = Scenario::all();
    for k in 0..config.agents {
        let p = profile(k, &mut rng);
        for u in &p.users {
            out.owner_of_user.insert(u.clone(), p.id.clone());
        }
        let mut events: Vec<Tagged> = Vec::new();
        for day in 0..config.days {
            normal_day(&p, day, &holidays, &mut rng, &mut events);
        }
        // Roughly half the agents get one planted attack, kinds in turn.
        let planted = scenarios.get((k / 2) % scenarios.len()).copied();
        if let Some(scenario) = planted.filter(|_| k % 2 == 0 && config.days > CLEAN_DAYS + 1) {
            let day = rng.range(CLEAN_DAYS, config.days);
            let hour = if scenario.0.as_str() == "off_hours" {
                2
            } else {
                p.start_hour + rng.range(1, p.hours - 1)
            };
            let start = DAY0 + day * 86_400 + hour * 3600 + rng.range(0, 600);
            let index = out.planted.len();
            for (i, e) in scenario
                .events(
                    &p.id,
                    start,
                    p.nets.first().map_or("", String::as_str),
                    &p.users,
                )
                .into_iter()
                .enumerate()
            {
                if let Some(u) = &e.user {
                    out.owner_of_user
                        .entry(u.clone())
                        .or_insert_with(|| p.id.clone());
                }
                events.push((e, Some((index, i))));
            }
            out.planted.push(Planted {
                agent: p.id.clone(),
                scenario,
                start,
            });
        }
        events.sort_by_key(|(e, _)| e.time);
        out.streams.push(events);
    }
    out
}

fn normal_day(p: &Profile, day: i64, holidays: &[i64], rng: &mut Rng, out: &mut Vec<Tagged>) {
    if holidays.contains(&day) {
        return;
    }
    let weekend = day % 7 >= 5;
    let mut volume = if weekend { p.volume / 6 } else { p.volume };
    if !weekend && rng.chance(0.1) {
        volume *= 2;
    }
    let begin = DAY0 + day * 86_400 + p.start_hour * 3600;
    let span = p.hours * 3600;
    let net_index = (day as usize) % p.nets.len();
    let net = p.nets.get(net_index).cloned().unwrap_or_default();
    let jti = format!("t-{}-{day}-{net_index}", p.id);
    let mut times: Vec<i64> = (0..volume).map(|_| begin + rng.range(0, span)).collect();
    // A short legitimate burst now and then: five reads in two minutes.
    if rng.chance(0.2) {
        let at = begin + rng.range(0, span - 120);
        times.extend((0..5).map(|i| at + i * 24));
    }
    // Late work now and then: at most two events past the usual end.
    if rng.chance(0.05) {
        times.extend((0..rng.range(1, 3)).map(|i| begin + span + 600 + i * 600));
    }
    for (i, t) in times.into_iter().enumerate() {
        // Early days walk through every type the agent uses.
        let kind = if day < 4 {
            p.types.get(i % p.types.len())
        } else {
            rng.pick(&p.types)
        };
        let kind = kind.copied().unwrap_or("crm://contacts");
        let user = rng.pick(&p.users).cloned().unwrap_or_default();
        // New records appear every day in the known types.
        let record = format!("{kind}/r{}", rng.range(0, 1000 + day * 50));
        let outcome = if rng.chance(0.02) {
            Outcome::Denied
        } else {
            Outcome::Success
        };
        let mut e = AuditEvent::new(t, AuditAction::AuthorizationDecision, outcome)
            .agent(p.id.clone())
            .user(user.clone())
            .target(record)
            .token_jti(jti.clone())
            .detail("network", net.clone());
        if outcome == Outcome::Denied {
            e = e.reason("fga_denied");
        }
        out.push((e, None));
        if rng.chance(0.01) {
            out.push((
                AuditEvent::new(t + 1, AuditAction::ApprovalRequested, Outcome::Success)
                    .agent(p.id.clone())
                    .user(user.clone())
                    .detail("network", net.clone()),
                None,
            ));
        }
    }
}
