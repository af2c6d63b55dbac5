//! A throwaway cluster: `initdb` in a temporary folder, `pg_ctl start` on a free
//! loopback port with its unix socket in that folder; stopped and removed when the
//! guard drops (also when a test panics).

use super::ClusterError;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The superuser of test clusters.
pub const SUPERUSER: &str = "postgres";

/// The settings of test clusters: no flush to disk.
const FAST_SETTINGS: &str = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";

/// A running throwaway cluster. Dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct TestCluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    password: String,
    run_as: Option<String>,
}

impl TestCluster {
    /// Creates and starts a cluster with the binaries in `bin`.
    ///
    /// PostgreSQL refuses to run as root: when the tests run as root, the server
    /// runs as the `postgres` user (or `nobody`) through `runuser`.
    /// The cluster trades durability for speed (`fsync`, `synchronous_commit` and
    /// `full_page_writes` off): for tests only.
    pub fn start(bin: &Path) -> Result<Self, ClusterError> {
        Self::start_with(bin, FAST_SETTINGS)
    }

    /// Creates and starts a cluster with the server's default durability (every
    /// commit flushed to disk), for figures a deployment would see.
    pub fn start_durable(bin: &Path) -> Result<Self, ClusterError> {
        Self::start_with(bin, "")
    }

    fn start_with(bin: &Path, settings: &str) -> Result<Self, ClusterError> {
        let run_as = if effective_uid()? == 0 {
            Some(unprivileged_user()?)
        } else {
            None
        };
        let root = std::env::temp_dir().join(format!(
            "agent-auth-pg-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(root.join("sock")).map_err(ClusterError::io("temporary folder"))?;
        let password = random_hex();
        std::fs::write(root.join("pwfile"), &password)
            .map_err(ClusterError::io("password file"))?;
        let mut cluster = Self {
            bin: bin.to_owned(),
            root,
            port: 0,
            password,
            run_as,
        };
        if let Some(user) = &cluster.run_as {
            chown_tree(&cluster.root, user)?;
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.path("data"),
                "-U",
                SUPERUSER,
                &format!("--pwfile={}", cluster.path("pwfile")),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        cluster.port = free_port()?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 {settings}",
            cluster.port,
            cluster.path("sock")
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &cluster.path("data"),
                "-l",
                &cluster.path("server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        )?;
        Ok(cluster)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temporary folder (data, socket, log).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A connection URL of the superuser to database `dbname`.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{dbname}",
            self.password, self.port
        )
    }

    /// A connection URL of `user` with `password` to `dbname` (for login tests).
    pub fn url_as(&self, user: &str, password: &str, dbname: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{dbname}",
            self.port
        )
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), ClusterError> {
        let binary = self.bin.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        let output = command
            .args(args)
            .current_dir(&self.root)
            .output()
            .map_err(ClusterError::io("starting a server binary"))?;
        if output.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        Err(ClusterError::Command {
            program: program.to_owned(),
            output: format!(
                "{}{}{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.path("data");
            if let Err(e) = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
                eprintln!("stopping the test PostgreSQL cluster failed: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The effective user id (the owner of `/proc/self`).
fn effective_uid() -> Result<u32, ClusterError> {
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Ok(meta.uid());
    }
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(ClusterError::io("id -u"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| ClusterError::NoUnprivilegedUser)
}

/// The user the server runs as when the tests run as root.
fn unprivileged_user() -> Result<String, ClusterError> {
    for user in [SUPERUSER, "nobody"] {
        if ids(user).is_some() {
            return Ok(user.to_owned());
        }
    }
    Err(ClusterError::NoUnprivilegedUser)
}

fn ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn chown_tree(root: &Path, user: &str) -> Result<(), ClusterError> {
    let (uid, gid) = ids(user).ok_or(ClusterError::NoUnprivilegedUser)?;
    for path in [root.to_owned(), root.join("sock"), root.join("pwfile")] {
        std::os::unix::fs::chown(&path, Some(uid), Some(gid))
            .map_err(ClusterError::io("handing the folder to the server user"))?;
    }
    Ok(())
}

fn free_port() -> Result<u16, ClusterError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(ClusterError::io("free port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(ClusterError::io("free port"))
}

/// 32 hex digits from the standard library's randomly seeded hasher (a throwaway
/// loopback cluster's password, not a key).
fn random_hex() -> String {
    (0..2)
        .map(|i| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(i);
            format!("{:016x}", h.finish())
        })
        .collect()
}
