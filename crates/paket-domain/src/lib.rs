//! Paket's business rules, free of I/O.
//!
//! Nothing here reads a clock, a database or the network: callers pass the
//! current instant and the loaded records in, and get decisions back.

pub mod calendar;
pub mod country;
pub mod entitlement;
pub mod ids;
pub mod pkce;
pub mod plan_item;
pub mod redirect_uri;
pub mod status;
