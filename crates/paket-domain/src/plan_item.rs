//! Plan items: one license (or bundle share) in a user's plan, with its
//! billing fields and statuses as the entitlement API spells them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A wire spelling that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: expected one of {expected}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares a fieldless enum with its fixed wire spellings, `as_str`,
/// `Display`, `FromStr` and serde in those spellings.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: $kind,
                        value: value.to_owned(),
                        expected: $name::ALL
                            .iter()
                            .map(|known| known.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }),
                }
            }
        }
    };
}

wire_enum!(
    /// Way the user acquired the item.
    LicenseType, "license_type", {
        /// Bought on its own.
        Single => "SINGLE",
        /// Part of a bundle of several Apps' licenses.
        Bundle => "BUNDLE",
    }
);

wire_enum!(
    /// Entitlement status of a plan item.
    ItemStatus, "item status", {
        Active => "ACTIVE",
        /// Still entitled while a payment problem is being resolved.
        Overdue => "OVERDUE",
        Cancelled => "CANCELLED",
    }
);

wire_enum!(
    /// Plan for the item at `renews_on`.
    RenewStatus, "renew_status", {
        /// The item renews.
        Renew => "RENEW",
        /// The item ends.
        Cancel => "CANCEL",
    }
);

wire_enum!(
    /// Unit of a billing interval.
    IntervalUnit, "interval_unit", {
        Days => "DAYS",
        Weeks => "WEEKS",
        Months => "MONTHS",
        Years => "YEARS",
    }
);

impl ItemStatus {
    /// Returns whether the item grants its license right now.
    pub fn is_entitled(self) -> bool {
        matches!(self, ItemStatus::Active | ItemStatus::Overdue)
    }
}

/// Billing period of a license or plan item, such as 1 `MONTHS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingInterval {
    pub length: u32,
    pub unit: IntervalUnit,
}

/// Longest accepted billing interval per unit: ten years in any unit.
const MAX_INTERVAL: [(IntervalUnit, u32); 4] = [
    (IntervalUnit::Days, 3660),
    (IntervalUnit::Weeks, 522),
    (IntervalUnit::Months, 120),
    (IntervalUnit::Years, 10),
];

/// A billing interval outside 1 and ten years.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid billing interval {length} {unit}: the length must be between 1 and {max} for {unit}")]
pub struct InvalidInterval {
    pub length: u32,
    pub unit: IntervalUnit,
    pub max: u32,
}

impl BillingInterval {
    pub fn new(length: u32, unit: IntervalUnit) -> Result<Self, InvalidInterval> {
        let max = MAX_INTERVAL
            .iter()
            .find(|(candidate, _)| *candidate == unit)
            .map_or(0, |(_, max)| *max);
        if length == 0 || length > max {
            return Err(InvalidInterval { length, unit, max });
        }
        Ok(BillingInterval { length, unit })
    }
}

/// One item of a user's plan, as the entitlement API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    pub id: String,
    pub license_id: String,
    pub license_type: LicenseType,
    pub status: ItemStatus,
    pub renew_status: RenewStatus,
    pub renews_on: DateTime<Utc>,
    pub interval: BillingInterval,
    pub billing_cycle_anchor: DateTime<Utc>,
    pub date_added: DateTime<Utc>,
    /// Whether the item started as a free trial.
    pub trial: bool,
    /// Trial length in days.
    pub trial_duration_days: u32,
    /// Days after a trial before the same user may trial the license again.
    pub trial_reset_days: u32,
    /// When the item became `CANCELLED`; `None` while it is not.
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_round_trip() {
        for status in ItemStatus::ALL {
            assert_eq!(status.as_str().parse::<ItemStatus>(), Ok(*status));
        }
        for unit in IntervalUnit::ALL {
            assert_eq!(unit.as_str().parse::<IntervalUnit>(), Ok(*unit));
        }
        assert_eq!(LicenseType::Bundle.as_str(), "BUNDLE");
        assert_eq!(RenewStatus::Cancel.to_string(), "CANCEL");
    }

    #[test]
    fn unknown_spelling_names_choices() {
        let error = "monthly".parse::<IntervalUnit>().expect_err("not a unit");
        assert_eq!(
            error.to_string(),
            "invalid interval_unit \"monthly\": expected one of DAYS, WEEKS, MONTHS, YEARS"
        );
    }

    #[test]
    fn only_active_and_overdue_entitle() {
        assert!(ItemStatus::Active.is_entitled());
        assert!(ItemStatus::Overdue.is_entitled());
        assert!(!ItemStatus::Cancelled.is_entitled());
    }

    #[test]
    fn interval_bounds() {
        assert!(BillingInterval::new(1, IntervalUnit::Months).is_ok());
        assert!(BillingInterval::new(120, IntervalUnit::Months).is_ok());
        assert!(BillingInterval::new(0, IntervalUnit::Days).is_err());
        let error = BillingInterval::new(11, IntervalUnit::Years).expect_err("too long");
        assert_eq!(error.max, 10);
    }
}
