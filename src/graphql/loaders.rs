//! DataLoaders: batch the lookups that fields of many objects make at once.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::app::AppState;
use crate::db::models::users::{self, UserRecord};
use crate::error::AppError;

/// Loads users by id, one query per batch.
pub struct UserLoader {
    pub app: AppState,
}

/// A loader failure; `Loader::Error` must be `Clone`.
#[derive(Clone)]
pub struct LoadError(pub Arc<AppError>);

impl From<LoadError> for AppError {
    fn from(error: LoadError) -> Self {
        // Keep the contract code; the cause was logged when it happened.
        match Arc::try_unwrap(error.0) {
            Ok(inner) => inner,
            Err(shared) => match &*shared {
                AppError::ServiceUnavailable(_) => AppError::ServiceUnavailable(
                    crate::error::InternalCause::Invariant("user lookup failed"),
                ),
                _ => {
                    AppError::internal(crate::error::InternalCause::Invariant("user lookup failed"))
                }
            },
        }
    }
}

impl Loader<String> for UserLoader {
    type Value = UserRecord;
    type Error = LoadError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, UserRecord>, LoadError> {
        let load = async {
            let mut conn = self.app.pool.get().await?;
            Ok::<_, AppError>(users::find_by_ids(&mut conn, ids).await?)
        };
        let found = load.await.map_err(|e| LoadError(Arc::new(e)))?;
        Ok(found
            .into_iter()
            .map(|user| (user.id.clone(), user))
            .collect())
    }
}
