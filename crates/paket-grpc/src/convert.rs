//! Conversion of the service's license list into the protobuf messages.

use chrono::{DateTime, Utc};
use paket_domain::plan_item::{IntervalUnit, ItemStatus, LicenseType, RenewStatus};
use paket_service::{ItemView, LicenseEntry, LicenseList, LicenseView, Locale};
use prost_types::Timestamp;

use crate::generated::paket::v1 as pb;

/// Converts a license list into the response message, keeping the order of
/// the items.
pub(crate) fn list_licenses_response(list: LicenseList) -> pb::ListLicensesResponse {
    let items = list.items.into_iter().map(license_entry).collect();
    pb::ListLicensesResponse { plan_id: list.plan_id, client_id: list.client_id, items }
}

fn license_entry(entry: LicenseEntry) -> pb::LicenseEntry {
    pb::LicenseEntry { item: Some(plan_item(entry.item)), license: Some(license(entry.license)) }
}

fn plan_item(item: ItemView) -> pb::PlanItem {
    pb::PlanItem {
        license_type: license_type(item.license_type).into(),
        name: item.name,
        status: item_status(item.status).into(),
        renew_status: renew_status(item.renew_status).into(),
        renews_on: Some(timestamp(item.renews_on)),
        interval_length: item.interval_length,
        interval_unit: interval_unit(item.interval_unit).into(),
        billing_cycle_anchor: Some(timestamp(item.billing_cycle_anchor)),
        date_added: Some(timestamp(item.date_added)),
        trial: item.trial,
        trial_duration: item.trial_duration,
        trial_reset: item.trial_reset,
    }
}

fn license(license: LicenseView) -> pb::License {
    pb::License {
        id: license.id,
        internal_id: license.internal_id,
        name: license.name,
        description: license.description,
        rank: license.rank,
        locales: license.locales.into_iter().map(locale).collect(),
    }
}

fn locale(locale: Locale) -> pb::Locale {
    pb::Locale { name: locale.name, country_code: locale.country_code }
}

fn license_type(value: LicenseType) -> pb::LicenseType {
    match value {
        LicenseType::Single => pb::LicenseType::Single,
        LicenseType::Bundle => pb::LicenseType::Bundle,
    }
}

fn item_status(value: ItemStatus) -> pb::ItemStatus {
    match value {
        ItemStatus::Active => pb::ItemStatus::Active,
        ItemStatus::Overdue => pb::ItemStatus::Overdue,
        ItemStatus::Cancelled => pb::ItemStatus::Cancelled,
    }
}

fn renew_status(value: RenewStatus) -> pb::RenewStatus {
    match value {
        RenewStatus::Renew => pb::RenewStatus::Renew,
        RenewStatus::Cancel => pb::RenewStatus::Cancel,
    }
}

fn interval_unit(value: IntervalUnit) -> pb::IntervalUnit {
    match value {
        IntervalUnit::Days => pb::IntervalUnit::Days,
        IntervalUnit::Weeks => pb::IntervalUnit::Weeks,
        IntervalUnit::Months => pb::IntervalUnit::Months,
        IntervalUnit::Years => pb::IntervalUnit::Years,
    }
}

/// Converts an instant into a protobuf timestamp.
fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    // chrono counts a leap second as nanoseconds past 999_999_999, which a
    // protobuf Timestamp does not allow, so it is clamped to the last
    // nanosecond of the second before.
    let nanos = instant.timestamp_subsec_nanos().min(999_999_999);
    Timestamp { seconds: instant.timestamp(), nanos: i32::try_from(nanos).unwrap_or(999_999_999) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|instant| instant.to_utc()).unwrap_or_default()
    }

    fn list() -> LicenseList {
        let item = |rank: i32, status: ItemStatus| LicenseEntry {
            item: ItemView {
                license_type: LicenseType::Bundle,
                name: "Kidstream".into(),
                status,
                renew_status: RenewStatus::Cancel,
                renews_on: instant("2020-10-23T16:35:28+00:00"),
                interval_length: 3,
                interval_unit: IntervalUnit::Weeks,
                billing_cycle_anchor: instant("2020-10-23T09:35:28-07:00"),
                date_added: instant("2020-10-16T16:35:27.250+00:00"),
                trial: true,
                trial_duration: 7,
                trial_reset: 700,
            },
            license: LicenseView {
                id: format!("license-{rank}"),
                internal_id: "KS001".into(),
                name: "Monthly Access".into(),
                description: "Monthly full access to Kidstream".into(),
                rank,
                locales: vec![
                    Locale { name: "United States".into(), country_code: "US".into() },
                    Locale { name: "Canada".into(), country_code: "CA".into() },
                ],
            },
        };
        LicenseList {
            plan_id: "304908b5-2843-21c9-9d79-67b765da04f0".into(),
            client_id: "2g8die7vki53974mp72sa4fgp5".into(),
            items: vec![item(2, ItemStatus::Overdue), item(0, ItemStatus::Active)],
        }
    }

    #[test]
    fn response_keeps_every_field() {
        let response = list_licenses_response(list());

        assert_eq!(response.plan_id, "304908b5-2843-21c9-9d79-67b765da04f0");
        assert_eq!(response.client_id, "2g8die7vki53974mp72sa4fgp5");
        let ranks: Vec<i32> = response.items.iter().filter_map(|entry| entry.license.as_ref()).map(|l| l.rank).collect();
        assert_eq!(ranks, [2, 0], "the service's order is kept");

        let entry = &response.items[0];
        let item = entry.item.clone().unwrap_or_default();
        assert_eq!(item.license_type(), pb::LicenseType::Bundle);
        assert_eq!(item.name, "Kidstream");
        assert_eq!(item.status(), pb::ItemStatus::Overdue);
        assert_eq!(item.renew_status(), pb::RenewStatus::Cancel);
        assert_eq!(item.renews_on, Some(Timestamp { seconds: 1_603_470_928, nanos: 0 }));
        assert_eq!(item.interval_length, 3);
        assert_eq!(item.interval_unit(), pb::IntervalUnit::Weeks);
        // 09:35:28 at -07:00 is 16:35:28 UTC, the same instant as renews_on.
        assert_eq!(item.billing_cycle_anchor, Some(Timestamp { seconds: 1_603_470_928, nanos: 0 }));
        assert_eq!(item.date_added, Some(Timestamp { seconds: 1_602_866_127, nanos: 250_000_000 }));
        assert!(item.trial);
        assert_eq!(item.trial_duration, 7);
        assert_eq!(item.trial_reset, 700);

        let license = entry.license.clone().unwrap_or_default();
        assert_eq!(license.id, "license-2");
        assert_eq!(license.internal_id, "KS001");
        assert_eq!(license.name, "Monthly Access");
        assert_eq!(license.description, "Monthly full access to Kidstream");
        assert_eq!(license.rank, 2);
        let codes: Vec<&str> = license.locales.iter().map(|locale| locale.country_code.as_str()).collect();
        assert_eq!(codes, ["US", "CA"]);
        assert_eq!(license.locales[0].name, "United States");
    }

    #[test]
    fn every_enum_value_maps() {
        for &value in LicenseType::ALL {
            let mapped = license_type(value);
            assert_eq!(mapped.as_str_name(), format!("LICENSE_TYPE_{value}"));
        }
        for &value in ItemStatus::ALL {
            let mapped = item_status(value);
            assert_eq!(mapped.as_str_name(), format!("ITEM_STATUS_{value}"));
        }
        for &value in RenewStatus::ALL {
            let mapped = renew_status(value);
            assert_eq!(mapped.as_str_name(), format!("RENEW_STATUS_{value}"));
        }
        for &value in IntervalUnit::ALL {
            let mapped = interval_unit(value);
            assert_eq!(mapped.as_str_name(), format!("INTERVAL_UNIT_{value}"));
        }
    }

    #[test]
    fn timestamp_before_epoch() {
        let converted = timestamp(instant("1969-12-31T23:59:59.5+00:00"));

        // Timestamp counts nanos forward from `seconds`, even before 1970.
        assert_eq!(converted, Timestamp { seconds: -1, nanos: 500_000_000 });
    }

    #[test]
    fn leap_second_is_clamped() {
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|date| date.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .map(|naive| naive.and_utc())
            .unwrap_or_default();

        assert_eq!(timestamp(leap), Timestamp { seconds: 1_483_228_799, nanos: 999_999_999 });
    }
}
