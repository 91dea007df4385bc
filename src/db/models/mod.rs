//! Row types and the small query functions of each table. Every function takes
//! a [`DbConn`](crate::db::DbConn) and works on both backends.

pub mod sessions;
pub mod throttle;
pub mod users;
