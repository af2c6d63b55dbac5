//! When review campaigns start: every calendar month, every quarter, or at a
//! custom interval, counted from a first start.

use chrono::{DateTime, Months};
use serde::{Deserialize, Serialize};

/// How often a campaign runs.
///
/// ```
/// use reference_authority::governance::reviews::Cadence;
///
/// // 2026-01-31T00:00:00Z: monthly starts clamp to the last day of shorter months.
/// let first = 1_769_817_600;
/// let feb = Cadence::Monthly.start(first, 1).unwrap();
/// assert_eq!(feb, 1_772_236_800); // 2026-02-28T00:00:00Z
/// assert_eq!(Cadence::Every(86_400).start(first, 2), Some(first + 2 * 86_400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cadence {
    /// The same day of every calendar month (clamped to the month's last day).
    Monthly,
    /// Every three calendar months.
    Quarterly,
    /// Every so many seconds (at least one).
    Every(i64),
    /// Once, at the first start.
    Once,
}

impl Cadence {
    /// The `n`th start (0 is `first`), in seconds since the epoch; `None`
    /// when there is no such start (a one-off campaign, or out of range).
    pub fn start(self, first: i64, n: u32) -> Option<i64> {
        match self {
            Self::Monthly => add_months(first, n),
            Self::Quarterly => add_months(first, n.checked_mul(3)?),
            Self::Every(step) => first.checked_add(step.max(1).checked_mul(i64::from(n))?),
            Self::Once => (n == 0).then_some(first),
        }
    }
}

fn add_months(first: i64, months: u32) -> Option<i64> {
    let start = DateTime::from_timestamp(first, 0)?;
    Some(start.checked_add_months(Months::new(months))?.timestamp())
}

#[cfg(test)]
mod tests {
    use super::Cadence;

    const JAN_31_2026: i64 = 1_769_817_600;

    #[test]
    fn monthly_clamps_to_the_end_of_short_months_and_counts_from_the_first_start() {
        assert_eq!(Cadence::Monthly.start(JAN_31_2026, 0), Some(JAN_31_2026));
        // 2026-02-28, then 2026-03-31 (not 2026-03-28).
        assert_eq!(Cadence::Monthly.start(JAN_31_2026, 1), Some(1_772_236_800));
        assert_eq!(Cadence::Monthly.start(JAN_31_2026, 2), Some(1_774_915_200));
    }

    #[test]
    fn quarterly_is_three_calendar_months() {
        // 2026-04-30T00:00:00Z
        assert_eq!(
            Cadence::Quarterly.start(JAN_31_2026, 1),
            Some(1_777_507_200)
        );
    }

    #[test]
    fn once_has_only_its_first_start_and_every_never_stalls() {
        assert_eq!(Cadence::Once.start(5, 1), None);
        assert_eq!(Cadence::Every(0).start(5, 3), Some(8));
        assert_eq!(Cadence::Every(i64::MAX).start(5, 2), None);
    }
}
