//! GET /v1/licenses: the caller's items for the App of the caller's client.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paket_domain::country;
use paket_domain::entitlement::{self, ClientScope, ItemWithLicense};
use paket_domain::plan_item::{BillingInterval, PlanItem};
use paket_store::catalog as catalog_queries;
use paket_store::oauth as oauth_queries;
use paket_store::users::{self as user_queries, PlanItemRow};

use crate::types::{AccessCaller, ItemView, LicenseEntry, LicenseList, LicenseView, Locale};
use crate::{Inner, ServiceError, tokens};

pub fn list(inner: &Inner, caller: &AccessCaller) -> Result<Option<LicenseList>, ServiceError> {
    let now = inner.clock.now();
    let loaded = inner.store.read(|conn| {
        if !oauth_queries::grant_is_active(conn, &caller.grant_id)? {
            return Ok(Err(tokens::revoked()));
        }
        let Some((client, app_name)) = catalog_queries::find_client_with_app_name(conn, &caller.client_id)? else {
            return Ok(Ok(None));
        };
        let rows = user_queries::plan_items_of_user_for_app(conn, &caller.user_id, &client.app_id)?;
        // The countries of every loaded license, in the same read: a user
        // holds few items, so the ones the selection drops cost little.
        let license_ids: Vec<String> = rows.iter().map(|(_, _, license)| license.id.clone()).collect();
        let countries = catalog_queries::countries_of_licenses(conn, &license_ids)?;
        Ok(Ok(Some((client, app_name, rows, countries))))
    })??;
    let Some((client, app_name, rows, country_rows)) = loaded else {
        return Ok(None);
    };
    let Some(plan_id) = rows.first().map(|(plan_id, _, _)| plan_id.clone()) else {
        return Ok(None);
    };

    let scope = ClientScope { app_id: client.app_id.clone(), test_mode: client.test_mode };
    let items = rows
        .into_iter()
        .map(|(_, item, license)| Ok(ItemWithLicense { item: plan_item(&item)?, license }))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let selected = entitlement::select_licenses(items, &scope, now);
    if selected.is_empty() {
        return Ok(None);
    }

    let mut countries: HashMap<String, Vec<Locale>> = HashMap::new();
    for (license_id, code) in country_rows {
        let name = country::by_code(&code).map_or_else(|| code.clone(), |country| country.name.to_owned());
        countries.entry(license_id).or_default().push(Locale { name, country_code: code });
    }

    let items = selected
        .into_iter()
        .map(|entry| LicenseEntry {
            item: item_view(&entry.item, &app_name),
            license: LicenseView {
                locales: countries.remove(&entry.license.id).unwrap_or_default(),
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
