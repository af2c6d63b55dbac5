//! Starting the reference-authority binary from a configuration file, for the
//! tests that run it as a separate process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running binary, killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// The issuer it announced (`http://127.0.0.1:<port>`).
    pub(crate) issuer: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary's command for `config`, listening on `listen`.
pub(crate) fn command(config: &Path, listen: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reference-authority"));
    command.args(["--config", config.to_str().unwrap(), "--listen", listen]);
    command
}

/// Starts the binary on `listen` and waits for its `listening on` line.
pub(crate) fn start_at(config: &Path, listen: &str) -> Server {
    let mut child = command(config, listen)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let issuer = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Server { child, issuer }
}

/// Starts the binary on a free loopback port.
pub(crate) fn start(config: &Path) -> Server {
    start_at(config, "127.0.0.1:0")
}
