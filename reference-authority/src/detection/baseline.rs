//! A subject's behavioural baseline, learned from its own events: daily
//! peaks of volume, failures and users reached, the resource types, scopes,
//! hours and networks it uses, and how often it asks for approval.

use super::config::DetectionConfig;
use super::window::{DistinctWindow, Window};
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};

/// What a baseline holds, for consoles and reviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BaselineSummary {
    /// Days with activity seen.
    pub days_seen: u32,
    /// Still learning (too little history for the behavioural detectors).
    pub learning: bool,
    /// The largest short-window access count of a past day.
    pub peak_volume: u32,
    /// Accesses per active day, on average.
    pub mean_daily_volume: f64,
    /// Share of refused events.
    pub failure_rate: f64,
    /// Resource types used.
    pub resource_types: BTreeSet<String>,
    /// Scopes used.
    pub scopes: BTreeSet<String>,
    /// Networks seen.
    pub networks: BTreeSet<String>,
    /// Events per UTC hour of the day.
    pub hours: [u64; 24],
    /// Approvals asked.
    pub approvals: u64,
}

/// Per-subject state: the learned baseline and the live windows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Baseline {
    pub(crate) day: Option<i64>,
    pub(crate) days_seen: u32,
    today_volume_peak: u32,
    today_failure_peak: u32,
    today_users_peak: u32,
    volume_peaks: VecDeque<u32>,
    failure_peaks: VecDeque<u32>,
    users_peaks: VecDeque<u32>,
    pub(crate) resource_types: BTreeSet<String>,
    pub(crate) scopes: BTreeSet<String>,
    pub(crate) networks: BTreeSet<String>,
    pub(crate) hours: [u64; 24],
    pub(crate) total: u64,
    hours_today: [u64; 24],
    events: u64,
    accesses: u64,
    failures: u64,
    approvals: u64,
    pub(crate) accesses_window: Window,
    pub(crate) events_window: Window,
    pub(crate) failures_window: Window,
    pub(crate) scope_refusals: Window,
    pub(crate) off_hours: Window,
    pub(crate) users_window: DistinctWindow,
}

fn max_of(peaks: &VecDeque<u32>) -> u32 {
    peaks.iter().copied().max().unwrap_or(0)
}

fn push_peak(peaks: &mut VecDeque<u32>, peak: u32, keep: usize) {
    peaks.push_back(peak);
    while peaks.len() > keep {
        peaks.pop_front();
    }
}

impl Baseline {
    /// Whether the subject is still in learning mode.
    pub(crate) fn learning(&self, config: &DetectionConfig) -> bool {
        self.days_seen < config.learning_days
    }

    /// Closes the previous day when `time` starts a new one.
    pub(crate) fn roll(&mut self, time: i64, config: &DetectionConfig) {
        let day = time.div_euclid(86_400);
        match self.day {
            Some(d) if d >= day => {}
            Some(_) => {
                let keep = config.history_days;
                push_peak(&mut self.volume_peaks, self.today_volume_peak, keep);
                push_peak(&mut self.failure_peaks, self.today_failure_peak, keep);
                push_peak(&mut self.users_peaks, self.today_users_peak, keep);
                self.today_volume_peak = 0;
                self.today_failure_peak = 0;
                self.today_users_peak = 0;
                for (past, today) in self.hours.iter_mut().zip(self.hours_today.iter_mut()) {
                    self.total += *today;
                    *past += std::mem::take(today);
                }
                self.days_seen += 1;
                self.day = Some(day);
            }
            None => self.day = Some(day),
        }
    }

    /// The short-window access count above which volume is a spike.
    pub(crate) fn volume_limit(&self, config: &DetectionConfig) -> u32 {
        limit(
            max_of(&self.volume_peaks),
            config.volume_factor,
            config.volume_floor,
        )
    }

    /// The short-window refusal count above which failures are a burst.
    pub(crate) fn failure_limit(&self, config: &DetectionConfig) -> u32 {
        limit(
            max_of(&self.failure_peaks),
            config.failure_factor,
            config.failure_floor,
        )
    }

    /// The long-window distinct-user count above which access is a fan-out.
    pub(crate) fn users_limit(&self, config: &DetectionConfig) -> u32 {
        limit(
            max_of(&self.users_peaks),
            config.fan_out_factor,
            config.fan_out_floor,
        )
    }

    /// Folds a window count into today's peak, capped at the limit so an
    /// attack never raises its own threshold.
    pub(crate) fn note_volume(&mut self, count: u32, limit: u32) {
        self.today_volume_peak = self.today_volume_peak.max(count.min(limit));
    }

    /// As [`note_volume`](Self::note_volume), for refusals.
    pub(crate) fn note_failures(&mut self, count: u32, limit: u32) {
        self.today_failure_peak = self.today_failure_peak.max(count.min(limit));
    }

    /// As [`note_volume`](Self::note_volume), for distinct users.
    pub(crate) fn note_users(&mut self, count: u32, limit: u32) {
        self.today_users_peak = self.today_users_peak.max(count.min(limit));
    }

    /// The share of the subject's events of past days at UTC `hour` and the
    /// hours either side of it (today's are folded in when the day ends, so
    /// a burst cannot vouch for itself; the neighbours smooth the edges of
    /// the working day).
    pub(crate) fn hour_share(&self, hour: usize) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let at = |h: usize| self.hours.get(h % 24).copied().unwrap_or(0);
        let near = at(hour + 23) + at(hour) + at(hour + 1);
        near as f64 / self.total as f64
    }

    /// Learns from one event, after the detectors looked at it.
    pub(crate) fn learn(
        &mut self,
        hour: usize,
        access: bool,
        failure: bool,
        approval: bool,
        scope: Option<&str>,
    ) {
        if let Some(h) = self.hours_today.get_mut(hour) {
            *h += 1;
        }
        self.events += 1;
        self.accesses += u64::from(access);
        self.failures += u64::from(failure);
        self.approvals += u64::from(approval);
        if let Some(scope) = scope {
            for s in scope.split_whitespace() {
                if !self.scopes.contains(s) {
                    self.scopes.insert(s.to_owned());
                }
            }
        }
    }

    /// A summary for consoles.
    pub(crate) fn summary(&self, config: &DetectionConfig) -> BaselineSummary {
        let days = f64::from(self.days_seen.max(1));
        BaselineSummary {
            days_seen: self.days_seen,
            learning: self.learning(config),
            peak_volume: max_of(&self.volume_peaks),
            mean_daily_volume: self.accesses as f64 / days,
            failure_rate: if self.events == 0 {
                0.0
            } else {
                self.failures as f64 / self.events as f64
            },
            resource_types: self.resource_types.clone(),
            scopes: self.scopes.clone(),
            networks: self.networks.clone(),
            hours: self.hours,
            approvals: self.approvals,
        }
    }
}

fn limit(peak: u32, factor: f64, floor: u32) -> u32 {
    let scaled = (f64::from(peak) * factor).ceil();
    let scaled = if scaled >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        scaled as u32
    };
    scaled.max(floor)
}
