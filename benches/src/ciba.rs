//! The `ciba` group: time from a person's approval to the agent holding the
//! token, in ping mode on loopback (reference authority with the CIBA OP,
//! our client with its notification endpoint). An absolute figure: there is
//! no baseline to divide by, so it prints `ABS <name> <microseconds>`.

use agent_auth::validate::{IdToken, Validator};
use ciba_client::{
    AuthenticationRequest, CibaClient, ClientAuth, DeliveryMode, Endpoints, GRANT_TYPE, Hint,
};
use reference_authority::ciba::{Approval, ChannelDevice, CibaOp};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 200;
const SECRET: &str = "bench-secret-0123456789";

/// Runs the group and prints its figures.
pub fn run() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ciba: no runtime: {e}");
            return;
        }
    };
    match rt.block_on(measure()) {
        Ok(mut samples) => report(&mut samples),
        Err(e) => eprintln!("ciba: setup failed: {e}"),
    }
}

fn report(samples: &mut [Duration]) {
    samples.sort();
    let pick = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    };
    println!(
        "ABS ciba_ping_approval_to_token_us {:.0}   (median of {}; p10 {:.0} us, p90 {:.0} us)",
        pick(0.5),
        samples.len(),
        pick(0.1),
        pick(0.9)
    );
}

async fn measure() -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let op_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let issuer = format!("http://{}", op_listener.local_addr()?);
    let rx_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let notify = format!("http://{}/ciba/notify", rx_listener.local_addr()?);

    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()?;
    authority.register_user(UserSpec::new("sarah").id("user-sarah"))?;
    authority.register_client(
        ClientSpec::confidential("sales-agent", SECRET)
            .grant_types([GRANT_TYPE])
            .scopes(["openid", "email:send", "drive:write", "crm:update"]),
    )?;
    let device = ChannelDevice::new();
    let mut asks = device
        .take_receiver()
        .ok_or("the device channel was taken")?;
    let op = CibaOp::install(&authority, Arc::new(device));
    op.register_client("sales-agent", DeliveryMode::Ping, Some(&notify))?;
    let app = reference_authority::http::router(authority.clone()).merge(op.router());
    tokio::spawn(async move { axum::serve(op_listener, app).await });

    let validator = Validator::<IdToken>::builder_shared(authority.keys().clone())
        .issuer(issuer.clone())
        .audience("sales-agent")
        .build();
    let client = CibaClient::builder(
        Endpoints {
            issuer: issuer.clone(),
            backchannel: format!("{issuer}/bc-authorize"),
            token: format!("{issuer}/token"),
        },
        ClientAuth::secret_basic("sales-agent", SECRET),
    )
    .mode(DeliveryMode::Ping)
    .id_token_validator(validator)
    .build();
    let receiver = client.notification_router("/ciba/notify");
    tokio::spawn(async move { axum::serve(rx_listener, receiver).await });

    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS + 10 {
        let request = AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
            .scope(["email:send", "drive:write", "crm:update"])
            .binding_message("Acme Corp - 450,000 EUR");
        let pending = client.start(request).await?;
        let ask = asks.recv().await.ok_or("no approval request")?;
        let waiter = tokio::spawn(async move { pending.wait().await });
        tokio::task::yield_now().await;
        let started = Instant::now();
        op.approve(&ask.approval_id, Approval::all()).await?;
        let outcome = waiter.await?;
        let elapsed = started.elapsed();
        if outcome.approved().is_none() {
            return Err(format!("round {round}: not approved: {outcome:?}").into());
        }
        if round >= 10 {
            samples.push(elapsed);
        }
    }
    Ok(samples)
}
