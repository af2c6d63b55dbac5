//! Running a transaction again when the server asks for it.

use crate::PgError;

/// How many times [`retry`] runs a transaction that failed with a serialization
/// failure or a deadlock before giving up.
pub const ATTEMPTS: usize = 8;

/// Runs `attempt` until it succeeds, fails for good, or has failed [`ATTEMPTS`]
/// times with a retryable error (SQLSTATE 40001 or 40P01).
///
/// ```
/// let mut calls = 0;
/// let out: Result<u8, pg_store::PgError> = pg_store::retry(|| {
///     calls += 1;
///     Ok(Ok(7))
/// });
/// assert_eq!((out.unwrap(), calls), (7, 1));
/// ```
pub fn retry<T>(
    mut attempt: impl FnMut() -> Result<Result<T, tokio_postgres::Error>, PgError>,
) -> Result<T, PgError> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match attempt()? {
            Ok(value) => return Ok(value),
            Err(e) if PgError::is_retryable(&e) => last = Some(e),
            Err(e) => return Err(PgError::query(&e)),
        }
    }
    Err(last.map_or_else(
        || PgError::Query("no attempt made".into()),
        |e| PgError::query(&e),
    ))
}
