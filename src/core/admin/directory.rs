//! The user directory: `users(query, first, after)` and `user(id)`, with
//! when each user last signed in (the latest session opened, whichever
//! way; a refresh moves no session's opening).
//!
//! Pages are oldest first, and `after` is a position (the last user's
//! creation time and id), not an offset: a user created between two pages
//! sorts after every earlier one, so no user is skipped or shown twice.
//! The cursor is opaque to clients (base64url of the position); one that
//! does not decode is `BAD_USER_INPUT`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;

use crate::core::admin::directory_copy::{Position, Search};
use crate::core::app::App;
use crate::core::input;
use crate::error::AppError;
use crate::store::directory as directory_rows;
use crate::store::users::UserRecord;

/// Fewest and most users one `users` page holds.
pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<i32> = 1..=200;

/// Longest search text, in characters (an address is at most 254).
const MAX_QUERY_CHARS: usize = 254;

/// A user as the directory shows it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub user: UserRecord,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

/// One page of users.
#[derive(Debug, Clone)]
pub(crate) struct UserPage {
    pub users: Vec<Listed>,
    /// The cursor of the last user of the page; None for an empty page.
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
    pub total_count: i64,
}

/// The cursor of the position after `user`.
fn cursor(user: &UserRecord) -> String {
    let micros = user.created_at.and_utc().timestamp_micros();
    URL_SAFE_NO_PAD.encode(format!("{micros}:{}", user.id))
}

/// The position a cursor names; `BAD_USER_INPUT` for anything that is not
/// one of ours.
fn position(cursor: &str) -> Result<Position, AppError> {
    let malformed = || AppError::BadUserInput("after is not a cursor of this list".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (micros, id) = text.split_once(':').ok_or_else(malformed)?;
    let micros: i64 = micros.parse().map_err(|_| malformed())?;
    let created_at = chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(malformed)?
        .naive_utc();
    if !crate::core::ids::looks_like_id(id) {
        return Err(malformed());
    }
    Ok(Position {
        created_at,
        id: id.to_owned(),
    })
}

/// What `query` looks for: names folded as user names are, addresses in
/// lower case, both as plain text; None (everyone) for no or empty text.
fn search_for(query: Option<&str>) -> Result<Option<Search>, AppError> {
    let Some(query) = query.filter(|query| !query.is_empty()) else {
        return Ok(None);
    };
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadUserInput(format!(
            "query must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(Some(Search::new(
        &input::fold_user_name(query),
        &query.to_lowercase(),
    )))
}

/// Users whose name or address contains `query` (any letter case), oldest
/// first, `first` (1 to 200) after the cursor `after`.
pub(crate) async fn users(
    app: &App,
    query: Option<&str>,
    first: i32,
    after: Option<&str>,
) -> Result<UserPage, AppError> {
    if !PAGE_SIZES.contains(&first) {
        return Err(AppError::BadUserInput(format!(
            "first must be {} to {}",
            PAGE_SIZES.start(),
            PAGE_SIZES.end()
        )));
    }
    let after = after.map(position).transpose()?;
    let search = search_for(query)?;
    let found = app
        .directory
        .page(
            &app.pool,
            app.clock.now(),
            search.as_ref(),
            after.as_ref(),
            usize::try_from(first).unwrap_or(0),
        )
        .await?;
    let mut conn = app.pool.get().await?;
    let users = directory_rows::users_in_order(&mut conn, &found.ids).await?;
    let signed_in: HashMap<String, NaiveDateTime> =
        directory_rows::last_sign_ins(&mut conn, &found.ids)
            .await?
            .into_iter()
            .collect();
    Ok(UserPage {
        end_cursor: users.last().map(cursor),
        has_next_page: found.has_next,
        total_count: i64::try_from(found.total).unwrap_or(i64::MAX),
        users: users
            .into_iter()
            .map(|user| Listed {
                last_sign_in_at: signed_in.get(&user.id).copied(),
                user,
            })
            .collect(),
    })
}

/// The user with this id, or None (for a malformed id too).
pub(crate) async fn user(app: &App, user_id: &str) -> Result<Option<Listed>, AppError> {
    if !crate::core::ids::looks_like_id(user_id) {
        return Ok(None);
    }
    let mut conn = app.pool.get().await?;
    let Some(user) = crate::store::users::find_by_id(&mut conn, user_id).await? else {
        return Ok(None);
    };
    let last_sign_in_at = directory_rows::last_sign_ins(&mut conn, std::slice::from_ref(&user.id))
        .await?
        .into_iter()
        .map(|(_, at)| at)
        .next();
    Ok(Some(Listed {
        user,
        last_sign_in_at,
    }))
}
