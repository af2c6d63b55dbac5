//! `sales-agent-demo --serve`: after the phases, Acme's authority stays up
//! with the security console, whose pages send a visitor to the authority's
//! sign-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The demo process, killed when the test ends (passed or not).
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The console URL the demo prints once the phases are over.
fn console_url(demo: &mut Demo) -> String {
    let stdout = demo.0.stdout.take().expect("stdout is piped");
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("the demo's output is text");
        if let Some(url) = line.strip_prefix("console at ") {
            return url.trim().to_owned();
        }
        printed.push(line);
    }
    panic!(
        "the demo ended without a console URL ({:?}):\n{}",
        demo.0.wait(),
        printed.join("\n")
    );
}

#[tokio::test]
async fn serve_keeps_the_console_up_behind_the_authority_sign_in() {
    let mut demo = Demo(
        Command::new(env!("CARGO_BIN_EXE_sales-agent-demo"))
            .arg("--serve")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts"),
    );
    let url = console_url(&mut demo);
    let origin = url.split("/console").next().unwrap().to_owned();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Follow the console's redirects by hand until one leaves the console.
    let mut at = url.clone();
    let mut hops = Vec::new();
    for _ in 0..5 {
        let r = http.get(&at).send().await.expect("the console answers");
        assert!(r.status().is_redirection(), "{at}: {}", r.status());
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        at = if to.starts_with('/') {
            format!("{origin}{to}")
        } else {
            to
        };
        hops.push(at.clone());
        if !at.starts_with(&url) {
            break;
        }
    }
    let sign_in = format!("{origin}/authorize?");
    assert!(at.starts_with(&sign_in), "{hops:?}");
    assert!(at.contains("client_id=security-console"), "{at}");
}
