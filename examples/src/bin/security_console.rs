//! The security team's console over a demo control point: the reference
//! authority with a fleet of agents, a shadow agent to register, an open
//! review and a risk spike. Sign in as `secadmin` with the password and a
//! code from the TOTP secret given here.
//!
//! ```text
//! security-console --password PASSWORD --totp-secret TEXT [--listen 127.0.0.1:8080] [--fleet 10000]
//! ```
//! Prints `console at <url>` once it accepts connections.

use examples::console_world::{Settings, serve};

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: security-console --password PASSWORD --totp-secret TEXT [--listen ADDR] [--fleet N]";
    let settings = Settings {
        password: arg("--password").ok_or(usage)?,
        totp_secret: arg("--totp-secret").ok_or(usage)?.into_bytes(),
        fleet: arg("--fleet")
            .map(|n| n.parse())
            .transpose()?
            .unwrap_or(10_000),
    };
    let listen = arg("--listen").unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let world = serve(listener, settings).await?;
    println!("console at {}/console/", world.issuer);
    world.server.await??;
    Ok(())
}
