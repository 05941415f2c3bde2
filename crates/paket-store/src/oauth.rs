//! Authorization codes and refresh tokens, stored only as SHA-256 hashes.

use diesel::prelude::*;

use crate::catalog::ClientRow;
use crate::schema::{authorization_codes, clients, refresh_tokens, users};
use crate::{DbConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCodeRow {
    /// Also the grant id of every token issued from this code.
    pub id: String,
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn insert_authorization_code(conn: &mut DbConnection, row: &AuthorizationCodeRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(authorization_codes::table).values(row).execute(c))?;
    Ok(())
}

pub fn find_authorization_code(conn: &mut DbConnection, code_hash: &str) -> Result<Option<AuthorizationCodeRow>, StoreError> {
    Ok(on_backend!(conn, |c| authorization_codes::table
        .filter(authorization_codes::code_hash.eq(code_hash))
        .select(AuthorizationCodeRow::as_select())
        .first(c))
        .optional()?)
}

/// Marks a code consumed unless it already is. Returns `false` when another
/// exchange consumed it first: the conditional update makes two concurrent
/// exchanges of one code produce exactly one winner on both backends.
pub fn consume_authorization_code(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let updated = on_backend!(conn, |c| diesel::update(
        authorization_codes::table
            .find(id)
            .filter(authorization_codes::consumed_at.is_null()),
    )
    .set(authorization_codes::consumed_at.eq(now))
    .execute(c))?;
    Ok(updated == 1)
}

/// Revokes a grant: its code and every refresh token issued from it.
/// Access tokens carry the grant id and are rejected from then on.
pub fn revoke_grant(conn: &mut DbConnection, grant_id: &str, now: i64) -> Result<usize, StoreError> {
    on_backend!(conn, |c| diesel::update(
        authorization_codes::table
            .find(grant_id)
            .filter(authorization_codes::revoked_at.is_null()),
    )
    .set(authorization_codes::revoked_at.eq(now))
    .execute(c))?;
    let tokens = on_backend!(conn, |c| diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::grant_id.eq(grant_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(c))?;
    Ok(tokens)
}

pub fn insert_refresh_token(conn: &mut DbConnection, row: &RefreshTokenRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(refresh_tokens::table).values(row).execute(c))?;
    Ok(())
}

/// A refresh token with its client and the user's email and name.
pub type RefreshTokenRecord = (RefreshTokenRow, ClientRow, String, String);

/// Loads a refresh token with its client and user in one round trip.
pub fn find_refresh_token_record(conn: &mut DbConnection, token_hash: &str) -> Result<Option<RefreshTokenRecord>, StoreError> {
    Ok(on_backend!(conn, |c| refresh_tokens::table
        .inner_join(clients::table)
        .inner_join(users::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((RefreshTokenRow::as_select(), ClientRow::as_select(), users::email, users::name))
        .first(c)
        .optional())?)
}

/// Revokes one refresh token unless it already is; returns whether this call revoked it.
pub fn revoke_refresh_token(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let updated = on_backend!(conn, |c| diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(c))?;
    Ok(updated == 1)
}
