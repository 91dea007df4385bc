//! Queueing a mail that goes with no other change. Apart from `mod.rs`,
//! which `App` holds, so that the two do not import each other.

use super::Mail;
use crate::core::app::App;
use crate::error::AppError;

/// Queues `mail` on its own, in a transaction of its own and within the
/// per-address limits, then counts it and wakes this replica's sender;
/// whether it was queued. For a mail that goes with no other change; a
/// flow that changes something and mails about it queues inside its own
/// transaction with `queue_mail!`.
pub async fn queue(app: &App, mail: &Mail) -> Result<bool, AppError> {
    let row = app.mail.outbox_row(mail, app.clock.now());
    let mut conn = app.pool.get().await?;
    let queued = crate::store::outbox::queue(&mut conn, &row).await?;
    if queued {
        app.metrics.mail_queued(mail.kind);
        app.mail.wake();
    }
    Ok(queued)
}
