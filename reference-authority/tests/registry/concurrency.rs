//! Writes from many threads at once lose nothing: every change is applied to
//! the record as the previous change left it.

use super::*;
use reference_authority::registry::{Entitlement, NewGrant, Resource};

#[test]
fn concurrent_grants_are_all_kept_and_each_bumps_the_version() {
    let f = fixture();
    register_active(&f);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let authority = f.authority.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    authority
                        .registry()
                        .grant(
                            "sales-agent-prod-001",
                            NewGrant::new(Entitlement::VaultConnection {
                                connection: format!("conn-{t}-{i}"),
                            }),
                            &admin(),
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let registry = f.authority.registry();
    let agent = registry.agent("sales-agent-prod-001").unwrap().unwrap();
    assert_eq!(agent.entitlements.len(), 160);
    // Registered (1), activated (2), then 160 grants.
    assert_eq!(agent.meta.version, 162);
    assert_eq!(
        registry
            .agents_granted(&Resource::VaultConnection("conn-7-19".into()))
            .unwrap(),
        ["sales-agent-prod-001"]
    );
}
