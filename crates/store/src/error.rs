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

impl StoreError {
    /// Storage could not be reached or was busy: the same write may succeed later. Everything
    /// else (a constraint, a value out of range, a row too large, an integer overflow) fails the
    /// same way every time, so a sender must not be told to retry it.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_) => true,
                _ => false,
            },
            StoreError::Migration(_) => true,
            _ => false,
        }
    }
}

/// PostgreSQL SQLSTATE classes 08 (connection), 40 (serialisation, deadlock), 53 (out of
/// resources: disk, memory, connections), 57 (shut down by the operator) and 58 (system I/O);
/// SQLite's primary codes BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN and PROTOCOL (extended
/// codes carry the primary one in their low byte). A SQLSTATE is always five characters; the
/// largest SQLite code has four digits.
fn transient_code(code: &str) -> bool {
    if code.len() == 5 {
        return ["08", "40", "53", "57", "58"]
            .iter()
            .any(|class| code.starts_with(class));
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6 | 7 | 10 | 13 | 14 | 15))
}

#[cfg(test)]
mod tests {
    use super::transient_code;

    #[test]
    fn busy_and_connection_codes_are_transient_data_errors_are_not() {
        for code in ["5", "517", "6", "10", "13", "08006", "40001", "40P01", "53100", "57P01"] {
            assert!(transient_code(code), "{code}");
        }
        // Constraint, too big, generic (integer overflow), PostgreSQL data exception, btree row
        // too large (program limit), numeric out of range.
        for code in ["19", "2067", "18", "1", "22003", "54000", "23505", "22P02"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
