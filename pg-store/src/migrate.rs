//! Versioned migrations, applied when a store opens.
//!
//! Each component (the authority, the vault, ...) has its own numbered SQL steps.
//! Opening a store applies the missing ones in one transaction that first takes a
//! transaction-level advisory lock, so instances starting together apply each step
//! exactly once; the `schema_version` table records what was applied.

use crate::{PgClient, PgError};

/// One schema step of a component.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing from 1 within the component.
    pub version: i64,
    /// A short description, recorded with the version.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// The advisory lock every migration takes (one lock for all components: opens are rare).
const MIGRATION_LOCK: i64 = 0x6167_656e_745f_6d67;

/// Applies the steps of `component` the database lacks; returns how many it applied.
///
/// Fails with [`PgError::SchemaTooNew`] when the database was migrated by a newer
/// build, and changes nothing when any step fails.
pub async fn migrate(
    client: &mut PgClient,
    component: &str,
    migrations: &[Migration],
) -> Result<usize, PgError> {
    if migrations
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.version >= b.version))
        || migrations.first().is_some_and(|m| m.version < 1)
    {
        return Err(PgError::MigrationOrder(component.to_owned()));
    }
    let known = migrations.last().map_or(0, |m| m.version);
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             component TEXT NOT NULL,
             version BIGINT NOT NULL,
             name TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
             PRIMARY KEY (component, version)
         )",
    )
    .await?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version WHERE component = $1",
            &[&component],
        )
        .await?
        .try_get(0)?;
    if current > known {
        return Err(PgError::SchemaTooNew {
            component: component.to_owned(),
            found: current,
            known,
        });
    }
    let mut applied = 0;
    for step in migrations.iter().filter(|m| m.version > current) {
        tx.batch_execute(step.sql).await?;
        tx.execute(
            "INSERT INTO schema_version (component, version, name) VALUES ($1, $2, $3)",
            &[&component, &step.version, &step.name],
        )
        .await?;
        applied += 1;
    }
    tx.commit().await?;
    if applied > 0 {
        tracing::info!(component, applied, version = known, "schema migrated");
    }
    Ok(applied)
}

/// The version of `component` recorded in the database (0 when none).
pub async fn schema_version(client: &PgClient, component: &str) -> Result<i64, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version WHERE component = $1",
            &[&component],
        )
        .await?
        .try_get(0)?)
}
