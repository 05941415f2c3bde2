//! Users, their plans and plan items.

use diesel::prelude::*;

use crate::catalog::LicenseRow;
use crate::schema::{license_countries, licenses, plan_items, plans, users};
use crate::{DbConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    /// Lower case; the column is unique.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub name: String,
    pub country_code: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_items)]
pub struct PlanItemRow {
    pub id: String,
    pub plan_id: String,
    pub license_id: String,
    pub license_type: String,
    pub status: String,
    pub renew_status: String,
    pub renews_on: i64,
    pub interval_length: i32,
    pub interval_unit: String,
    pub billing_cycle_anchor: i64,
    pub date_added: i64,
    pub trial: bool,
    pub trial_duration_days: i32,
    pub trial_reset_days: i32,
    pub cancelled_at: Option<i64>,
}

pub fn insert_user(conn: &mut DbConnection, user: &UserRow, plan: &PlanRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(users::table).values(user).execute(c))?;
    on_backend!(conn, |c| diesel::insert_into(plans::table).values(plan).execute(c))?;
    Ok(())
}

/// Finds a user by email; `email` must already be lower case.
pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(on_backend!(conn, |c| users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(c))
        .optional()?)
}

pub fn find_user(conn: &mut DbConnection, id: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(on_backend!(conn, |c| users::table.find(id).select(UserRow::as_select()).first(c).optional())?)
}

pub fn find_plan_of_user(conn: &mut DbConnection, user_id: &str) -> Result<Option<PlanRow>, StoreError> {
    Ok(on_backend!(conn, |c| plans::table
        .filter(plans::user_id.eq(user_id))
        .select(PlanRow::as_select())
        .first(c))
        .optional()?)
}

pub fn insert_plan_item(conn: &mut DbConnection, row: &PlanItemRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(plan_items::table).values(row).execute(c))?;
    Ok(())
}

/// Plan id, plan item, its license and one of the license's countries.
pub type ItemCountryRow = (String, PlanItemRow, LicenseRow, Option<String>);

/// Loads the plan items of a user whose license belongs to `app_id`, with
/// the plan id, the license and one of the license's countries, in one
/// query: an item appears once per country, or once with `None`.
pub fn plan_items_with_countries(
    conn: &mut DbConnection,
    user_id: &str,
    app_id: &str,
) -> Result<Vec<ItemCountryRow>, StoreError> {
    Ok(on_backend!(conn, |c| plan_items::table
        .inner_join(plans::table)
        .inner_join(licenses::table.left_join(license_countries::table))
        .filter(plans::user_id.eq(user_id))
        .filter(licenses::app_id.eq(app_id))
        .order((plan_items::id, license_countries::country_code))
        .select((plans::id, PlanItemRow::as_select(), LicenseRow::as_select(), license_countries::country_code.nullable()))
        .load(c))?)
}

