use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the row; the string names what was duplicated.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A value computed from stored data was not valid (never user input: that is parsed earlier).
    #[error("invalid value: {0}")]
    Invalid(String),
    #[error("the role does not allow this")]
    Forbidden,
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(db.message().to_string()),
            _ => StoreError::Database(e),
        }
    }
}
