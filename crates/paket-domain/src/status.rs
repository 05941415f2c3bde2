//! Publication statuses of Apps and Licenses and the moves between them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Publication status shared by Apps and Licenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CatalogStatus {
    /// Default on create; invisible to users.
    Draft,
    /// Deployed by the publisher, waiting for Paket's review.
    Pending,
    /// Approved and available to users.
    Live,
    /// Hidden by the publisher: existing subscribers keep it, new users cannot buy it.
    Inactive,
}

/// A status move that the table of allowed moves does not contain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot move from {from} to {to}: {reason}")]
pub struct StatusMoveError {
    pub from: CatalogStatus,
    pub to: CatalogStatus,
    pub reason: &'static str,
}

impl CatalogStatus {
    pub const ALL: [CatalogStatus; 4] = [
        CatalogStatus::Draft,
        CatalogStatus::Pending,
        CatalogStatus::Live,
        CatalogStatus::Inactive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CatalogStatus::Draft => "Draft",
            CatalogStatus::Pending => "Pending",
            CatalogStatus::Live => "Live",
            CatalogStatus::Inactive => "Inactive",
        }
    }

    /// Checks a move against the allowed ones: Draft -> Pending (deploy),
    /// Pending -> Draft (withdraw or reject), Pending -> Live (approve),
    /// Live -> Inactive (hide) and Inactive -> Live (show again).
    pub fn check_move(self, to: CatalogStatus) -> Result<(), StatusMoveError> {
        use CatalogStatus::*;

        let reason = match (self, to) {
            (Draft, Pending) | (Pending, Draft) | (Pending, Live) | (Live, Inactive) | (Inactive, Live) => {
                return Ok(());
            }
            (from, to) if from == to => "the object already has that status",
            (Draft, Live) | (Draft, Inactive) => "a draft must be deployed and reviewed first",
            (Pending, Inactive) => "only a Live object can be hidden",
            (Live, Draft) | (Live, Pending) | (Inactive, Draft) | (Inactive, Pending) => {
                "a published object cannot go back to review"
            }
            _ => "the move is not allowed",
        };
        Err(StatusMoveError { from: self, to, reason })
    }

    /// Returns whether users can newly buy an object in this status.
    pub fn is_sold(self) -> bool {
        self == CatalogStatus::Live
    }
}

impl fmt::Display for CatalogStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of Draft, Pending, Live, Inactive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}: expected one of Draft, Pending, Live, Inactive")]
pub struct UnknownStatus(pub String);

impl FromStr for CatalogStatus {
    type Err = UnknownStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        CatalogStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| UnknownStatus(value.to_owned()))
    }
}

/// Whether a license can be newly sold: both it and its App must be Live.
pub fn license_is_sold(app: CatalogStatus, license: CatalogStatus) -> bool {
    app.is_sold() && license.is_sold()
}

#[cfg(test)]
mod tests {
    use super::CatalogStatus::*;
    use super::*;

    #[test]
    fn allowed_moves_pass() {
        for (from, to) in [(Draft, Pending), (Pending, Draft), (Pending, Live), (Live, Inactive), (Inactive, Live)] {
            assert_eq!(from.check_move(to), Ok(()), "{from} -> {to}");
        }
    }

    #[test]
    fn every_other_move_is_rejected_naming_both() {
        let allowed = [(Draft, Pending), (Pending, Draft), (Pending, Live), (Live, Inactive), (Inactive, Live)];
        let mut rejected = 0;
        for from in CatalogStatus::ALL {
            for to in CatalogStatus::ALL {
                if allowed.contains(&(from, to)) {
                    continue;
                }
                let error = from.check_move(to).expect_err("move should be rejected");
                let message = error.to_string();
                assert!(message.contains(&format!("from {from} to {to}")), "{message}");
                rejected += 1;
            }
        }
        assert_eq!(rejected, 11);
    }

    #[test]
    fn status_parses_case_insensitively() {
        assert_eq!("live".parse::<CatalogStatus>(), Ok(Live));
        assert_eq!("Inactive".parse::<CatalogStatus>(), Ok(Inactive));
        assert!("Published".parse::<CatalogStatus>().is_err());
    }

    #[test]
    fn license_sold_only_when_both_live() {
        assert!(license_is_sold(Live, Live));
        assert!(!license_is_sold(Inactive, Live));
        assert!(!license_is_sold(Live, Pending));
    }
}
