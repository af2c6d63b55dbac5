//! The seed's sales-agent scenario on the library's real paths: discovery
//! finds the unregistered sales agent and governance registers it; Sarah signs
//! in through Acme's authority (federated Google connection, then MFA); the
//! sales agent, a rig agent driven by a scripted model, gets a delegated
//! token at the token endpoint and works through the guarded CRM MCP server
//! with the seed FGA model; the Salesforce token comes from the vault; an
//! ID-JAG takes it to the pricing AS (`pricing:read` only); the large
//! discount waits for Sarah's CIBA approval; Drive, Gmail and Calendar use
//! her Google tokens from the vault's connected accounts, refreshed ahead of
//! expiry; the security team checks the agent's trail in the authority's
//! audit log and John certifies it in the monthly review; a bulk read raises
//! its risk to HIGH, and the response policy blocks it and logs it out
//! everywhere. Every decision printed is one the library made (authority,
//! mcp-guard, FGA, vault, CIBA, governance, detection, kill switch, tool
//! layers); the demo only plays the people and moves the injected clocks.
//!
//! Run: `cargo run -p examples --bin sales-agent-demo [-- --http] [-- --json]
//! [-- --serve]`; `--http` reaches every party over loopback HTTP (token
//! endpoint, login pages, JWKS, remote Token Vault, SSF push to the guard)
//! instead of in process; `--serve` then keeps Acme's authority up with the
//! security console and prints where it is and how to sign in, until Ctrl-C.

mod agent;
mod browser;
mod connected;
mod console;
mod control;
mod phase1_discovery;
mod phase2_login;
mod phase3_crm;
mod phase4_pricing;
mod phase5_approval;
mod phase6_workspace;
mod phase7_audit;
mod phase7_review;
mod phase8_anomaly;
mod pricing;
mod sarah;
mod timeline;
mod traffic;
mod vault_tools;
mod wiring;
mod world;

use std::error::Error;
use timeline::Timeline;
use world::World;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let json = std::env::args().any(|a| a == "--json");
    let serve = std::env::args().any(|a| a == "--serve");
    let mut timeline = Timeline::new(json);
    let mut world = World::start(wiring::Parties::from_args()?).await?;
    phase1_discovery::run(&world, &mut timeline).await?;
    let sarah = match phase2_login::run(&world, &mut timeline).await {
        Ok(s) => s,
        Err(e) => {
            for ev in world.authority_audit.events() {
                eprintln!("{}", serde_json::to_string(&ev)?);
            }
            return Err(e);
        }
    };
    let session = phase3_crm::run(&world, &mut timeline, &sarah).await?;
    phase4_pricing::run(&world, &mut timeline, &session).await?;
    phase5_approval::run(&mut world, &mut timeline, &session).await?;
    phase6_workspace::run(&world, &mut timeline, &session).await?;
    phase7_audit::run(&world, &mut timeline)?;
    phase7_review::run(&world, &mut timeline).await?;
    phase8_anomaly::run(&world, &mut timeline, &session).await?;
    session.client.cancel().await?;
    timeline.summary(world.parties.over_http(), &world.traffic.counts());
    if serve {
        println!("{}", console::sign_in_help(&world.issuer));
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}
