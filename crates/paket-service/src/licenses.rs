//! GET /v1/licenses: the caller's items for the App of the caller's client.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paket_domain::country;
use paket_domain::entitlement::{self, ClientScope, ItemWithLicense};
use paket_domain::plan_item::{BillingInterval, PlanItem};
use paket_store::catalog as catalog_queries;
use paket_store::users::{self as user_queries, PlanItemRow};

use crate::types::{AccessCaller, ItemView, LicenseEntry, LicenseList, LicenseView, Locale};
use crate::{Inner, ServiceError, tokens};

pub fn list(inner: &Inner, caller: &AccessCaller) -> Result<Option<LicenseList>, ServiceError> {
    let now = inner.clock.now();

    // Two queries: the client with the grant check, then the items with
    // their licenses and countries. On PostgreSQL each is a round trip.
    let loaded = inner.store.read(|conn| {
        let Some((client, app_name, grant_active)) =
            catalog_queries::find_client_for_grant(conn, &caller.client_id, &caller.grant_id)?
        else {
            return Ok(Ok(None));
        };
        if !grant_active {
            return Ok(Err(tokens::revoked()));
        }
        let rows = user_queries::plan_items_with_countries(conn, &caller.user_id, &client.app_id)?;
        Ok(Ok(Some((client, app_name, rows))))
    })??;
    let Some((client, app_name, rows)) = loaded else {
        return Ok(None);
    };
    let Some(plan_id) = rows.first().map(|(plan_id, _, _, _)| plan_id.clone()) else {
        return Ok(None);
    };

    // The rows repeat each item once per country, ordered by item.
    let mut countries: HashMap<String, Vec<Locale>> = HashMap::new();
    let mut items = Vec::new();
    for (_, item, license, country_code) in rows {
        if let Some(code) = country_code {
            let locales = countries.entry(license.id.clone()).or_default();
            if !locales.iter().any(|locale| locale.country_code == code) {
                let name = country::by_code(&code).map_or_else(|| code.clone(), |country| country.name.to_owned());
                locales.push(Locale { name, country_code: code });
            }
        }
        if items.last().is_none_or(|last: &ItemWithLicense<_>| last.item.id != item.id) {
            items.push(ItemWithLicense { item: plan_item(&item)?, license });
        }
    }

    let scope = ClientScope { app_id: client.app_id.clone(), test_mode: client.test_mode };
    let selected = entitlement::select_licenses(items, &scope, now);
    if selected.is_empty() {
        return Ok(None);
    }

    let items = selected
        .into_iter()
        .map(|entry| LicenseEntry {
            item: item_view(&entry.item, &app_name),
            license: LicenseView {
                locales: countries.get(&entry.license.id).cloned().unwrap_or_default(),
                id: entry.license.id,
                internal_id: entry.license.internal_id,
                name: entry.license.name,
                description: entry.license.description,
                rank: entry.license.rank,
            },
        })
        .collect();
    Ok(Some(LicenseList { plan_id, client_id: client.id, items }))
}

fn item_view(item: &PlanItem, app_name: &str) -> ItemView {
    ItemView {
        license_type: item.license_type,
        name: app_name.to_owned(),
        status: item.status,
        renew_status: item.renew_status,
        renews_on: item.renews_on,
        interval_length: item.interval.length,
        interval_unit: item.interval.unit,
        billing_cycle_anchor: item.billing_cycle_anchor,
        date_added: item.date_added,
        trial: item.trial,
        trial_duration: item.trial_duration_days,
        trial_reset: item.trial_reset_days,
    }
}

/// Converts a stored row; a value the schema's CHECK constraints should
/// have kept out is reported as an internal error naming the row.
pub(crate) fn plan_item(row: &PlanItemRow) -> Result<PlanItem, ServiceError> {
    let corrupt = |what: &str| ServiceError::Internal(format!("plan item {} has an invalid {what}", row.id));
    let instant = |seconds: i64, what: &str| -> Result<DateTime<Utc>, ServiceError> {
        DateTime::from_timestamp(seconds, 0).ok_or_else(|| corrupt(what))
    };
    Ok(PlanItem {
        id: row.id.clone(),
        license_id: row.license_id.clone(),
        license_type: row.license_type.parse().map_err(|_| corrupt("license_type"))?,
        status: row.status.parse().map_err(|_| corrupt("status"))?,
        renew_status: row.renew_status.parse().map_err(|_| corrupt("renew_status"))?,
        renews_on: instant(row.renews_on, "renews_on")?,
        interval: BillingInterval {
            length: u32::try_from(row.interval_length).map_err(|_| corrupt("interval_length"))?,
            unit: row.interval_unit.parse().map_err(|_| corrupt("interval_unit"))?,
        },
        billing_cycle_anchor: instant(row.billing_cycle_anchor, "billing_cycle_anchor")?,
        date_added: instant(row.date_added, "date_added")?,
        trial: row.trial,
        trial_duration_days: u32::try_from(row.trial_duration_days).map_err(|_| corrupt("trial_duration_days"))?,
        trial_reset_days: u32::try_from(row.trial_reset_days).map_err(|_| corrupt("trial_reset_days"))?,
        cancelled_at: row.cancelled_at.map(|seconds| instant(seconds, "cancelled_at")).transpose()?,
    })
}
