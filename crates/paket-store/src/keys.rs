//! Token signing keys.

use diesel::prelude::*;

use crate::schema::signing_keys;
use crate::{DbConnection, StoreError};

#[derive(Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    /// The `kid` of tokens signed with this key.
    pub id: String,
    pub algorithm: String,
    /// PKCS#8 document.
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Keys not yet retired, newest first.
pub fn active_signing_keys(conn: &mut DbConnection) -> Result<Vec<SigningKeyRow>, StoreError> {
    Ok(on_backend!(conn, |c| signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order((signing_keys::created_at.desc(), signing_keys::id))
        .select(SigningKeyRow::as_select())
        .load(c))?)
}

pub fn insert_signing_key(conn: &mut DbConnection, row: &SigningKeyRow) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(signing_keys::table).values(row).execute(c))?;
    Ok(())
}
