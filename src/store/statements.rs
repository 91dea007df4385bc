//! How many statements the pool's connections have sent, counted by
//! diesel's own instrumentation hook on every connection the pool opens, so
//! both backends count the same way (a SQLite statement runs in-process and
//! leaves no server-side counter to read). `/metrics` reports it as
//! `authql_db_statements_total`; the load benchmark divides it by requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// The running count of one pool, shared by its connections.
#[derive(Clone, Debug, Default)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    /// Statements finished (successfully or not) since the pool was built.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The hook to install on a new connection.
    pub(crate) fn hook(&self) -> CountStatements {
        CountStatements(self.0.clone())
    }
}

/// Counts each statement a connection finishes.
pub(crate) struct CountStatements(Arc<AtomicU64>);

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}
