//! The README's main command, `sales-agent-demo`, run as a program, in
//! process and with `--http`: every phase's outcome is read from its
//! `--json` events (never from the prose), the same outcomes both ways, and
//! the `--http` run's summary shows the calls crossed the wire.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;

struct Run {
    events: Vec<Value>,
    summary: Value,
}

/// How the demo reaches its parties.
#[derive(Clone, Copy, PartialEq)]
enum Wiring {
    InProcess,
    Http,
}

impl Wiring {
    fn args(self) -> &'static [&'static str] {
        match self {
            Wiring::InProcess => &[],
            Wiring::Http => &["--http"],
        }
    }
}

fn run(wiring: Wiring) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sales-agent-demo"))
        .args(wiring.args())
        .arg("--json")
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "the demo failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut events = Vec::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value.get("summary").is_some() {
            summary = value["summary"].clone();
        } else {
            events.push(value);
        }
    }
    Run { events, summary }
}

impl Run {
    /// The one event of `phase` whose step contains `step`.
    fn event(&self, phase: u64, step: &str) -> &Value {
        let found: Vec<&Value> = self
            .events
            .iter()
            .filter(|e| e["phase"] == phase && e["step"].as_str().unwrap().contains(step))
            .collect();
        assert_eq!(found.len(), 1, "phase {phase} `{step}`: {:?}", self.events);
        found[0]
    }

    fn decision(&self, phase: u64, step: &str) -> (&str, &str) {
        let e = self.event(phase, step);
        (
            e["decision"].as_str().unwrap(),
            e["reason"].as_str().unwrap(),
        )
    }

    /// How many requests `key` (`server METHOD path`) the loopback servers answered.
    fn requests(&self, key: &str) -> u64 {
        self.summary["requests"][key].as_u64().unwrap_or(0)
    }
}

#[test]
fn the_demo_plays_every_phase_on_the_librarys_paths_in_process() {
    let run = run(Wiring::InProcess);
    assert_eq!(run.summary["wiring"], "in-process");
    every_phase(&run, Wiring::InProcess);
    // Sarah's sign-in and the agent's own tokens never crossed the wire.
    for key in [
        "authority POST /login",
        "authority GET /federation/callback",
        "google POST /login",
        "crm POST /ssf",
    ] {
        assert_eq!(run.requests(key), 0, "{key}: {}", run.summary);
    }
}

#[test]
fn the_demo_plays_every_phase_over_loopback_http() {
    let run = run(Wiring::Http);
    assert_eq!(run.summary["wiring"], "http");
    every_phase(&run, Wiring::Http);
    // Sarah's browser: Acme's login page twice ("Continue with Google", then
    // the MFA step-up), Google's login once, back through Acme's callback.
    assert_eq!(run.requests("authority POST /login"), 2, "{}", run.summary);
    assert_eq!(run.requests("authority GET /federation/callback"), 1);
    assert_eq!(run.requests("google POST /login"), 1, "{}", run.summary);
    // Acme's authority redeemed Google's code at Google's token endpoint.
    assert!(run.requests("google POST /token") >= 1, "{}", run.summary);
    // The agent's token requests: 3 as the shadow agent (phase 1), its own
    // and the exchange for Sarah (phase 3), the vault's tokens through the
    // Token Vault grant (1 in phase 3, 2 in phase 5, 3 in phase 6, 1 in
    // phase 8), the portal's 2 code exchanges: at least 12 besides.
    assert!(
        run.requests("authority POST /token") >= 12,
        "{}",
        run.summary
    );
    // Validators fetched the authority's keys; the kill switch reached the
    // CRM server's guard by SSF push.
    assert!(run.requests("authority GET /jwks") >= 1, "{}", run.summary);
    assert!(run.requests("crm POST /ssf") >= 1, "{}", run.summary);
}

/// Every phase's expected outcome, the same for both wirings (only the
/// vault's refusal after the logout is worded by the vault that refuses).
fn every_phase(run: &Run, wiring: Wiring) {
    // Phase 1: the shadow agent is discovered, then registered with John as
    // owner and sponsor, its key in the vault, rotation every 90 days.
    let (decision, reason) = run.decision(1, "discovery scan");
    assert_eq!(decision, "discovered");
    assert!(reason.contains("machine grant"), "{reason}");
    let (decision, reason) = run.decision(1, "registered with John Smith");
    assert_eq!(decision, "registered");
    for part in [
        "agent sales-agent active",
        "owners person john",
        "sponsors john",
        "vaulted salesforce-integration",
        "next rotation in 90 days",
    ] {
        assert!(reason.contains(part), "{part} missing: {reason}");
    }

    // Phase 2: federated sign-in, then MFA; amr comes from the authority's ID tokens.
    let (decision, reason) = run.decision(2, "federated connection `google`");
    assert_eq!(decision, "allowed");
    assert!(
        reason.contains("sub sarah") && reason.contains(r#"amr ["fed"]"#),
        "{reason}"
    );
    let (decision, reason) = run.decision(2, "step-up to MFA");
    assert_eq!(decision, "allowed");
    assert!(
        reason.contains(r#""otp""#) && reason.contains("acr:mfa"),
        "{reason}"
    );

    // Phase 3: delegated token, FGA through mcp-guard, the vault's token.
    let (decision, reason) = run.decision(3, "token exchange");
    assert_eq!(decision, "issued");
    assert!(reason.contains("act sales-agent-prod-001"), "{reason}");
    let (decision, reason) = run.decision(3, "resources/list");
    assert_eq!(decision, "allowed");
    assert!(
        reason.contains("shown crm://contacts/acme-corp, docs://proposals/templates")
            && reason.contains("hidden pricing://executive-discounts"),
        "{reason}"
    );
    assert_eq!(run.decision(3, "resources/read pricing").0, "denied");
    let (decision, reason) = run.decision(3, "crm_lookup");
    assert_eq!(decision, "allowed");
    assert!(reason.contains("asked by sarah"), "{reason}");
    let (decision, reason) = run.decision(3, "Salesforce update");
    assert_eq!(decision, "allowed");
    assert!(
        reason.contains(r#""salesforce_credential_from":"salesforce""#),
        "{reason}"
    );

    // Phase 4: an ID-JAG for the pricing AS, redeemed there for pricing:read;
    // the managed connection refuses pricing:write and pricing:admin.
    let (decision, reason) = run.decision(4, "ID-JAG for pricing:read");
    assert_eq!(decision, "granted");
    for part in [
        "issued urn:ietf:params:oauth:token-type:id-jag",
        "audience https://pricing.acmecorp.internal",
        "sub sarah",
        "client_id pricing-sales-agent",
        "scope pricing:read",
    ] {
        assert!(reason.contains(part), "{part} missing: {reason}");
    }
    let (decision, reason) = run.decision(4, "pricing:write and pricing:admin");
    assert_eq!(decision, "denied");
    assert!(reason.starts_with("invalid_scope"), "{reason}");

    // Phase 5: small discount runs, another customer's is refused by FGA,
    // the large one waits for CIBA and runs once approved.
    let (decision, reason) = run.decision(5, "20,000 EUR");
    assert_eq!(decision, "allowed");
    assert!(reason.contains(r#""approved_by_user":false"#), "{reason}");
    let (decision, reason) = run.decision(5, "does not own");
    assert_eq!(decision, "denied");
    assert!(reason.starts_with("forbidden"), "{reason}");
    let (decision, reason) = run.decision(5, "CIBA request");
    assert_eq!(decision, "waiting");
    assert!(
        reason.contains("Acme Corp proposal: 450000 EUR discount")
            && reason.contains(r#""type":"sales_discount""#),
        "{reason}"
    );
    assert_eq!(run.decision(5, "Sarah approves").0, "approved");
    let (decision, reason) = run.decision(5, "450,000 EUR discount proposal");
    assert_eq!(decision, "allowed");
    assert!(reason.contains(r#""approved_by_user":true"#), "{reason}");

    // Phase 6: Sarah connects Google to the vault; the three tools get her
    // token from the vault and Google accepts it; the vault refreshed it
    // ahead of expiry before the Calendar call.
    let (decision, reason) = run.decision(6, "connects her Google account");
    assert_eq!(decision, "connected");
    assert!(
        reason.contains("drive.file gmail.send calendar.events"),
        "{reason}"
    );
    for step in ["Drive", "Gmail", "Calendar"] {
        let (decision, reason) = run.decision(6, step);
        assert_eq!(decision, "allowed", "{step}: {reason}");
        assert!(
            reason.contains(r#""google_account":"sarah.chen@gmail.example""#)
                && reason.contains(r#""credential_from":"google""#),
            "{step}: {reason}"
        );
    }
    let (decision, reason) = run.decision(6, "refreshes Sarah's Google token");
    assert_eq!(decision, "refreshed");
    assert!(reason.starts_with("1 token_refreshed"), "{reason}");

    // Phase 7: the agent's trail, read from the authority's audit log, every
    // entry proven included under the signed checkpoint.
    assert_eq!(run.decision(7, "signed checkpoint").0, "verified");
    let (decision, reason) = run.decision(7, "the agent's trail");
    assert_eq!(decision, "verified");
    let proven: Vec<&str> = reason.split(' ').take(3).collect();
    assert_eq!(proven[0], proven[2], "{reason}");
    for seen in [
        "token_exchanged success",
        "approval_requested success",
        "tool_call denied",
        "tool_call success",
    ] {
        assert!(reason.contains(seen), "{seen} missing: {reason}");
    }

    // Phase 7: the monthly review; John certifies each of the agent's entitlements.
    let (decision, reason) = run.decision(7, "review campaign monthly-agent-access");
    assert_eq!(decision, "opened");
    assert!(
        reason.contains("2 items for sales-agent, reviewers john"),
        "{reason}"
    );
    let (decision, reason) = run.decision(7, "John certifies");
    assert_eq!(decision, "certified");
    for part in [
        "scope mcp:crm:read @ crm://contacts by user:john",
        "vault connection salesforce-integration by user:john",
        "revoked 0, pending 0",
    ] {
        assert!(reason.contains(part), "{part} missing: {reason}");
    }

    // Phase 8: the bulk read is cut off by mcp-guard once detection raised
    // the risk to HIGH and the response policy logged the agent out.
    let (decision, reason) = run.decision(8, "500 CRM reads");
    assert_eq!(decision, "cut off");
    let served: u32 = reason.split(' ').next().unwrap().parse().unwrap();
    assert!((1..500).contains(&served), "{reason}");
    assert!(reason.ends_with("invalid_token"), "{reason}");
    let (decision, reason) = run.decision(8, "the agent's risk");
    assert_eq!(decision, "high");
    // Phase 4's one refused request counts once, so the agent enters
    // phase 8 at LOW and the volume spike alone takes it to HIGH.
    assert!(
        reason.starts_with("LOW -> HIGH") && reason.contains("volume_spike"),
        "{reason}"
    );
    let (decision, reason) = run.decision(8, "response policy for HIGH");
    assert_eq!(decision, "carried out");
    assert_eq!(reason, "notify done, block done, logout done");
    let (decision, reason) = run.decision(8, "the agent's token at mcp-guard");
    assert_eq!((decision, reason), ("denied", "invalid_token"));
    let (decision, reason) = run.decision(8, "Salesforce token from the vault");
    assert_eq!(decision, "error");
    // In process, the vault the SSF push wiped has no token; over HTTP, the
    // authority's Token Vault grant refuses the agent's revoked grant.
    let refusal = match wiring {
        Wiring::InProcess => "unavailable: not_found",
        Wiring::Http => "unavailable: refused",
    };
    assert!(reason.contains(refusal), "{reason}");
    let told: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| e["phase"] == 8 && e["decision"] == "sent")
        .collect();
    assert!(
        told.iter().any(|e| {
            let r = e["reason"].as_str().unwrap();
            r.contains("security-admin") && r.contains("sarah") && r.contains("to HIGH")
        }),
        "{told:?}"
    );
    let (decision, reason) = run.decision(8, "evidence");
    assert_eq!(decision, "kept");
    assert!(!reason.starts_with("0 risk change"), "{reason}");
    assert!(!reason.contains(" 0 logout"), "{reason}");

    assert_eq!(run.summary["events"], run.events.len());
    assert_eq!(
        run.summary["phases"],
        serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8])
    );
}

#[test]
fn the_demo_never_prints_a_token_or_secret() {
    for wiring in [Wiring::InProcess, Wiring::Http] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sales-agent-demo"))
            .args(wiring.args())
            .output()
            .expect("the demo runs");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for secret in [
            "00D5e000000abcd",
            "secret-0123456789",
            "eyJ",
            "correct horse",
        ] {
            assert!(!text.contains(secret), "{secret} printed");
        }
    }
}
