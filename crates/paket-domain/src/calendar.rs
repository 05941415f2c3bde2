//! Billing calendar: renewal instants computed from the billing cycle anchor.
//! All date math is in UTC.

use chrono::{DateTime, Days, Months, Utc};

use crate::plan_item::{BillingInterval, IntervalUnit};

/// Returns the `n`-th renewal after `anchor`: anchor + n intervals, with the
/// day of month clamped to the month's last day. Computing from the anchor,
/// never from the previous renewal, keeps a Jan 31 anchor on Mar 31 after
/// a clamped Feb 29. `None` when the result is past chrono's range.
pub fn nth_renewal(anchor: DateTime<Utc>, interval: BillingInterval, n: u32) -> Option<DateTime<Utc>> {
    let steps = interval.length.checked_mul(n)?;
    match interval.unit {
        IntervalUnit::Days => anchor.checked_add_days(Days::new(u64::from(steps))),
        IntervalUnit::Weeks => anchor.checked_add_days(Days::new(u64::from(steps) * 7)),
        IntervalUnit::Months => anchor.checked_add_months(Months::new(steps)),
        IntervalUnit::Years => anchor.checked_add_months(Months::new(steps.checked_mul(12)?)),
    }
}

/// Returns the first renewal strictly after `now`.
pub fn next_renewal_after(anchor: DateTime<Utc>, interval: BillingInterval, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut n = 1;
    loop {
        let renewal = nth_renewal(anchor, interval, n)?;
        if renewal > now {
            return Some(renewal);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().expect("valid instant")
    }

    fn renewals(anchor: DateTime<Utc>, length: u32, unit: IntervalUnit, count: u32) -> Vec<DateTime<Utc>> {
        let interval = BillingInterval::new(length, unit).expect("valid interval");
        (1..=count).map(|n| nth_renewal(anchor, interval, n).expect("in range")).collect()
    }

    #[test]
    fn monthly_from_jan_31_in_leap_year() {
        let got = renewals(at(2024, 1, 31, 10), 1, IntervalUnit::Months, 3);
        assert_eq!(got, [at(2024, 2, 29, 10), at(2024, 3, 31, 10), at(2024, 4, 30, 10)]);
    }

    #[test]
    fn monthly_from_jan_30_returns_to_30() {
        let got = renewals(at(2025, 1, 30, 0), 1, IntervalUnit::Months, 2);
        assert_eq!(got, [at(2025, 2, 28, 0), at(2025, 3, 30, 0)]);
    }

    #[test]
    fn quarterly_from_nov_30() {
        let got = renewals(at(2024, 11, 30, 0), 3, IntervalUnit::Months, 2);
        assert_eq!(got, [at(2025, 2, 28, 0), at(2025, 5, 30, 0)]);
    }

    #[test]
    fn yearly_from_feb_29() {
        let got = renewals(at(2024, 2, 29, 0), 1, IntervalUnit::Years, 4);
        assert_eq!(got, [at(2025, 2, 28, 0), at(2026, 2, 28, 0), at(2027, 2, 28, 0), at(2028, 2, 29, 0)]);
    }

    #[test]
    fn weeks_and_days() {
        assert_eq!(renewals(at(2025, 1, 1, 0), 2, IntervalUnit::Weeks, 1), [at(2025, 1, 15, 0)]);
        assert_eq!(renewals(at(2025, 1, 1, 0), 7, IntervalUnit::Days, 1), [at(2025, 1, 8, 0)]);
    }

    #[test]
    fn next_renewal_is_strictly_after_now() {
        let interval = BillingInterval::new(1, IntervalUnit::Months).expect("valid interval");
        let anchor = at(2025, 1, 31, 0);
        assert_eq!(next_renewal_after(anchor, interval, at(2025, 2, 28, 0)), Some(at(2025, 3, 31, 0)));
        assert_eq!(next_renewal_after(anchor, interval, at(2025, 2, 27, 0)), Some(at(2025, 2, 28, 0)));
    }
}
