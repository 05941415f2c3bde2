//! Selection of the plan items that GET /v1/licenses returns to a client.

use chrono::{DateTime, Months, Utc};

use crate::plan_item::{ItemStatus, PlanItem};

/// How long a cancelled item stays visible to its App's clients.
pub const CANCELLED_VISIBLE_MONTHS: u32 = 12;

/// The requesting client, as far as selection needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientScope {
    pub app_id: String,
    /// A test-mode client sees only test-mode licenses; a production client never does.
    pub test_mode: bool,
}

/// A plan item joined with the license it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemWithLicense<L> {
    pub item: PlanItem,
    pub license: L,
}

/// The license fields that selection needs.
pub trait LicenseView {
    fn app_id(&self) -> &str;
    fn rank(&self) -> i32;
    fn test_mode(&self) -> bool;
}

/// Selects the items a client may see and orders them by license rank,
/// highest first (ties by date added, oldest first, so the order is stable).
///
/// An item is returned when its license belongs to the client's App, its
/// test mode matches the client's, and it is `ACTIVE`, `OVERDUE`, or
/// `CANCELLED` less than twelve calendar months before `now`.
pub fn select_licenses<L: LicenseView>(
    items: Vec<ItemWithLicense<L>>,
    client: &ClientScope,
    now: DateTime<Utc>,
) -> Vec<ItemWithLicense<L>> {
    let cancelled_cutoff = now
        .checked_sub_months(Months::new(CANCELLED_VISIBLE_MONTHS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);

    let mut selected: Vec<_> = items
        .into_iter()
        .filter(|entry| entry.license.app_id() == client.app_id)
        .filter(|entry| entry.license.test_mode() == client.test_mode)
        .filter(|entry| is_visible(&entry.item, cancelled_cutoff))
        .collect();

    selected.sort_by(|a, b| {
        b.license
            .rank()
            .cmp(&a.license.rank())
            .then(a.item.date_added.cmp(&b.item.date_added))
    });
    selected
}

fn is_visible(item: &PlanItem, cancelled_cutoff: DateTime<Utc>) -> bool {
    match item.status {
        ItemStatus::Active | ItemStatus::Overdue => true,
        // An item cancelled without a recorded instant is treated as just
        // cancelled at its end date, which is the latest it can have ended.
        ItemStatus::Cancelled => item.cancelled_at.unwrap_or(item.renews_on) > cancelled_cutoff,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::plan_item::{BillingInterval, IntervalUnit, LicenseType, RenewStatus};

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct License {
        app: &'static str,
        rank: i32,
        test_mode: bool,
        name: &'static str,
    }

    impl LicenseView for License {
        fn app_id(&self) -> &str {
            self.app
        }
        fn rank(&self) -> i32 {
            self.rank
        }
        fn test_mode(&self) -> bool {
            self.test_mode
        }
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().expect("valid date")
    }

    fn entry(license: License, status: ItemStatus, cancelled_at: Option<DateTime<Utc>>) -> ItemWithLicense<License> {
        ItemWithLicense {
            item: PlanItem {
                id: format!("item-{}", license.name),
                license_id: license.name.to_owned(),
                license_type: LicenseType::Single,
                status,
                renew_status: RenewStatus::Renew,
                renews_on: at(2025, 2, 1),
                interval: BillingInterval { length: 1, unit: IntervalUnit::Months },
                billing_cycle_anchor: at(2025, 1, 1),
                date_added: at(2025, 1, 1),
                trial: false,
                trial_duration_days: 0,
                trial_reset_days: 0,
                cancelled_at,
            },
            license,
        }
    }

    fn license(app: &'static str, name: &'static str, rank: i32) -> License {
        License { app, rank, test_mode: false, name }
    }

    fn names(selected: &[ItemWithLicense<License>]) -> Vec<&'static str> {
        selected.iter().map(|entry| entry.license.name).collect()
    }

    const PRODUCTION: fn() -> ClientScope = || ClientScope { app_id: "a".into(), test_mode: false };

    #[test]
    fn other_apps_items_are_hidden() {
        let items = vec![
            entry(license("a", "mine", 0), ItemStatus::Active, None),
            entry(license("b", "theirs", 5), ItemStatus::Active, None),
        ];
        assert_eq!(names(&select_licenses(items, &PRODUCTION(), at(2025, 1, 15))), ["mine"]);
    }

    #[test]
    fn ordered_by_rank_highest_first() {
        let items = vec![
            entry(license("a", "basic", 0), ItemStatus::Active, None),
            entry(license("a", "premium", 10), ItemStatus::Overdue, None),
            entry(license("a", "standard", 5), ItemStatus::Active, None),
        ];
        let selected = select_licenses(items, &PRODUCTION(), at(2025, 1, 15));
        assert_eq!(names(&selected), ["premium", "standard", "basic"]);
    }

    #[test]
    fn cancelled_visible_for_twelve_months() {
        let now = at(2025, 6, 15);
        let items = vec![
            entry(license("a", "recent", 1), ItemStatus::Cancelled, Some(at(2024, 6, 16))),
            entry(license("a", "boundary", 2), ItemStatus::Cancelled, Some(at(2024, 6, 15))),
            entry(license("a", "old", 3), ItemStatus::Cancelled, Some(at(2023, 1, 1))),
        ];
        assert_eq!(names(&select_licenses(items, &PRODUCTION(), now)), ["recent"]);
    }

    #[test]
    fn test_mode_licenses_only_for_test_clients() {
        let mut test_license = license("a", "test", 1);
        test_license.test_mode = true;
        let items = vec![
            entry(license("a", "live", 0), ItemStatus::Active, None),
            entry(test_license, ItemStatus::Active, None),
        ];
        let now = at(2025, 1, 15);
        assert_eq!(names(&select_licenses(items.clone(), &PRODUCTION(), now)), ["live"]);
        let test_client = ClientScope { app_id: "a".into(), test_mode: true };
        assert_eq!(names(&select_licenses(items, &test_client, now)), ["test"]);
    }
}
