//! The audit log: what admins did, newest first (`auditLog`), and the
//! record each admin change stores with itself ([`action`]).
//!
//! Entries are ordered as security events are, by (`at`, `seq`, `id`)
//! (see `crate::core::security_events` for why no AUTO_INCREMENT), and
//! pruned with them after `SECURITY_EVENT_RETENTION_DAYS`
//! (`crate::core::prune`). `detail` says what changed in words the admin
//! chose from a closed set (a status, a role, a count, an address) and
//! never holds a secret: no token, no password, no code.

use chrono::NaiveDateTime;

use crate::core::admin::Admin;
use crate::core::app::App;
use crate::error::AppError;
use crate::store::audit_log::{self as entry_rows, AdminAction, AuditRecord, NewAuditEntry};
use crate::store::security_events::NewSecurityEvent;
use crate::vocabulary::SecurityEventKind;

/// Fewest and most entries one `auditLog` page holds.
pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<i32> = 1..=200;

/// Longest `detail`, in characters (the column's size on MySQL).
const DETAIL_MAX_CHARS: usize = 255;

/// `detail` cut to fit its column.
fn fit(detail: String) -> String {
    if detail.chars().count() <= DETAIL_MAX_CHARS {
        detail
    } else {
        detail.chars().take(DETAIL_MAX_CHARS).collect()
    }
}

/// The record of `admin`'s `name` (the mutation's name) at `now`: the
/// audit entry and, when it touched a user (`target`), that user's
/// `ADMIN_ACTION` event, whose detail is the mutation's name and `detail`.
pub(crate) fn action(
    admin: &Admin,
    name: &str,
    target: Option<&str>,
    detail: Option<String>,
    now: NaiveDateTime,
) -> AdminAction {
    let detail = detail.map(fit);
    let event = target.map(|user_id| NewSecurityEvent {
        detail: Some(fit(match &detail {
            Some(detail) => format!("{name}: {detail}"),
            None => name.to_owned(),
        })),
        ..NewSecurityEvent::new(SecurityEventKind::AdminAction, user_id, now)
    });
    AdminAction {
        entry: NewAuditEntry {
            target_user_id: target.map(str::to_owned),
            detail,
            ip_address: admin.ip_address.clone(),
            ..NewAuditEntry::new(&admin.user_id, name, now)
        },
        event,
    }
}

/// Up to `first` entries, newest first; with `before` (an entry's id),
/// only those older than it. `BAD_USER_INPUT` for `first` out of
/// [`PAGE_SIZES`] or a `before` that is no entry.
pub(crate) async fn page(
    app: &App,
    first: i32,
    before: Option<&str>,
) -> Result<Vec<AuditRecord>, AppError> {
    if !PAGE_SIZES.contains(&first) {
        return Err(AppError::BadUserInput(format!(
            "first must be {} to {}",
            PAGE_SIZES.start(),
            PAGE_SIZES.end()
        )));
    }
    let not_an_entry = || AppError::BadUserInput("before is not an entry of the audit log".into());
    if before.is_some_and(|before| !crate::core::ids::looks_like_id(before)) {
        return Err(not_an_entry());
    }
    let mut conn = app.pool.get().await?;
    entry_rows::page(&mut conn, before, i64::from(first))
        .await?
        .ok_or_else(not_an_entry)
}
