//! The user directory's rows: the users of a page, and when each last
//! signed in. Which users a page holds comes from this replica's copy of
//! the directory (`core::admin::directory_copy`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::schema::{user_login_sessions as sessions, users};
use crate::store::users::UserRecord;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// The users of `ids`, in the order of `ids`; one deleted since the page
/// was chosen (an unverified account pruned) is left out.
pub(crate) async fn users_in_order(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<Vec<UserRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = with_conn!(conn, |c| {
        users::table
            .filter(users::id.eq_any(ids))
            .select(UserRecord::as_select())
            .load::<UserRecord>(c)
            .await
    })?;
    for user in &found {
        // No row the page did not ask for: "" stands in, so that the check
        // fails and names the row.
        let asked = ids.iter().find(|id| **id == user.id);
        expect_key("user", asked.map_or("", String::as_str), &user.id)?;
    }
    found.sort_by_key(|user| ids.iter().position(|id| *id == user.id));
    Ok(found)
}

/// When each of `user_ids` last opened a session (signed in, any way),
/// for those that ever did (within the sessions' retention).
pub(crate) async fn last_sign_ins(
    conn: &mut DbConn,
    user_ids: &[String],
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(conn, |c| {
        let rows = sessions::table
            .filter(sessions::user_id.eq_any(user_ids))
            .group_by(sessions::user_id)
            .select((sessions::user_id, diesel::dsl::max(sessions::created_at)))
            .load::<(String, Option<NaiveDateTime>)>(c)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(user_id, at)| at.map(|at| (user_id, at)))
            .collect())
    })
}
