//! Where the PostgreSQL server binaries are.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable naming the folder of `initdb`, `pg_ctl` and `postgres`.
pub const PG_BIN_ENV: &str = "PG_BIN";

/// The folder of the server binaries: `PG_BIN`, else `pg_config --bindir`, else the
/// newest `/usr/lib/postgresql/<version>/bin` (Debian's layout). `None` when no
/// folder holds `initdb` and `pg_ctl`.
pub fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(PG_BIN_ENV).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return has_server(&dir).then_some(dir);
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()))
        .filter(|d| has_server(d));
    from_pg_config.or_else(debian_layout)
}

fn debian_layout() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_server(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}
