//! CIBA: a suspended agent can neither start a backchannel request nor
//! collect the token of one it started before.

use super::*;
use reference_authority::ciba::{ChannelDevice, CibaOp};

#[tokio::test]
async fn a_suspended_agent_gets_no_ciba_token() {
    let f = fixture();
    let op = CibaOp::install(&f.authority, Arc::new(ChannelDevice::new()));
    f.authority
        .register_client(
            ClientSpec::confidential("ciba-agent", AGENT_SECRET)
                .grant_types([ciba_client::GRANT_TYPE])
                .scopes(["openid", "email:send"]),
        )
        .unwrap();
    op.register_client("ciba-agent", ciba_client::DeliveryMode::Poll, None)
        .unwrap();
    let registry = f.authority.registry();
    active(
        &f,
        AgentSpec::new("mailer", "Mailer")
            .owner(Principal::Person("tom".into()))
            .sponsor("sarah")
            .client("ciba-agent"),
    );
    let ask = || {
        TokenRequest::new(Params::from_pairs([
            ("scope", "openid email:send"),
            ("login_hint", "alice"),
            ("binding_message", "Send 3 mails"),
        ]))
        .basic("ciba-agent", AGENT_SECRET)
    };
    let started = op.backchannel_authentication(&ask()).await.unwrap();
    let auth_req_id = started.to_json()["auth_req_id"]
        .as_str()
        .unwrap()
        .to_owned();

    registry.suspend("mailer", None, &admin()).unwrap();
    let err = op.backchannel_authentication(&ask()).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
    let poll = TokenRequest::new(Params::from_pairs([
        ("grant_type", ciba_client::GRANT_TYPE),
        ("auth_req_id", auth_req_id.as_str()),
    ]))
    .basic("ciba-agent", AGENT_SECRET);
    let err = f.authority.token(&poll).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
}
