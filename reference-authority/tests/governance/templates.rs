//! Role templates: provisioning grants exactly the bundle; a change reaches
//! every linked agent; direct grants are never touched; refusals change nothing.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::governance::templates::{RoleTemplate, TemplateError};

fn sales_template() -> RoleTemplate {
    RoleTemplate::new("sales-assistant")
        .describe("reads the CRM, uses the pricing connection")
        .entitlement(scope("crm:read"))
        .entitlement(Entitlement::ManagedConnection {
            audience: "https://pricing.acmecorp.internal".into(),
        })
        .entitlement(Entitlement::VaultConnection {
            connection: "salesforce".into(),
        })
        .entitlement(Entitlement::FgaRelation {
            object: "document:templates".into(),
            relation: "viewer".into(),
        })
}

#[test]
fn provisioning_from_a_template_grants_exactly_its_entitlements() {
    let f = fixture();
    let g = &f.governance;
    g.define_template(sales_template(), &admin()).unwrap();
    let granted = g
        .provision_from_template(AGENT, "sales-assistant", &admin())
        .unwrap();
    assert_eq!(granted, sales_template().entitlements());
    let mut held = f.held(AGENT);
    held.sort();
    let mut expected = sales_template().entitlements().to_vec();
    expected.sort();
    assert_eq!(held, expected);
    assert_eq!(g.templates_of(AGENT).unwrap(), ["sales-assistant"]);
    assert_eq!(g.template_agents("sales-assistant").unwrap(), [AGENT]);
}

#[test]
fn a_template_change_propagates_to_every_linked_agent_and_spares_direct_grants() {
    let f = fixture();
    let g = &f.governance;
    g.define_template(sales_template(), &admin()).unwrap();
    g.provision_from_template(AGENT, "sales-assistant", &admin())
        .unwrap();
    g.provision_from_template("support-agent", "sales-assistant", &admin())
        .unwrap();
    // crm:read is also granted directly to the support agent: it must stay.
    f.grant_direct("support-agent", scope("crm:read"));

    let next = vec![
        scope("crm:write"),
        Entitlement::VaultConnection {
            connection: "salesforce".into(),
        },
    ];
    let change = g
        .update_template("sales-assistant", next.clone(), &admin(), "least privilege")
        .unwrap();
    assert_eq!(change.version, 2);
    assert_eq!(change.added, [scope("crm:write")]);
    assert_eq!(change.removed.len(), 3);
    assert_eq!(change.agents, [AGENT, "support-agent"]);
    assert!(change.failures.is_empty());

    let mut held = f.held(AGENT);
    held.sort();
    let mut expected = next.clone();
    expected.sort();
    assert_eq!(held, expected, "the sales agent follows the template");
    let support = f.held("support-agent");
    assert!(support.contains(&scope("crm:write")));
    assert!(
        support.contains(&scope("crm:read")),
        "the direct grant stays"
    );
    assert!(!support.contains(&Entitlement::ManagedConnection {
        audience: "https://pricing.acmecorp.internal".into()
    }));

    let events = f.governance_events();
    let changed = events
        .iter()
        .find(|e| e.action == AuditAction::Other("governance.template_changed".into()))
        .unwrap();
    assert_eq!(changed.agent.as_deref(), Some("sales-assistant"));
    assert_eq!(changed.reason.as_deref(), Some("least privilege"));
    assert_eq!(changed.details["actor"], "user:admin");
    let propagated: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::Other("governance.template_propagated".into()))
        .filter_map(|e| e.agent.clone())
        .collect();
    assert_eq!(propagated, [AGENT, "support-agent"]);
}

#[test]
fn an_agent_provisioned_after_a_change_gets_the_new_bundle() {
    let f = fixture();
    let g = &f.governance;
    g.define_template(sales_template(), &admin()).unwrap();
    g.update_template(
        "sales-assistant",
        vec![scope("crm:write")],
        &admin(),
        "narrowed",
    )
    .unwrap();
    g.provision_from_template(AGENT, "sales-assistant", &admin())
        .unwrap();
    assert_eq!(f.held(AGENT), [scope("crm:write")]);
}

#[test]
fn unlinking_removes_what_the_template_granted_and_a_linked_template_cannot_be_removed() {
    let f = fixture();
    let g = &f.governance;
    g.define_template(sales_template(), &admin()).unwrap();
    g.provision_from_template(AGENT, "sales-assistant", &admin())
        .unwrap();
    assert!(matches!(
        g.remove_template("sales-assistant", &admin()),
        Err(TemplateError::InUse(1))
    ));
    g.unlink_template(AGENT, "sales-assistant", &admin())
        .unwrap();
    assert!(f.held(AGENT).is_empty());
    assert!(matches!(
        g.unlink_template(AGENT, "sales-assistant", &admin()),
        Err(TemplateError::NotLinked(_))
    ));
    g.remove_template("sales-assistant", &admin()).unwrap();
    assert!(matches!(
        g.template("sales-assistant"),
        Err(TemplateError::Unknown(_))
    ));
}

#[test]
fn bad_templates_are_refused_and_change_nothing() {
    let f = fixture();
    let g = &f.governance;
    assert!(matches!(
        g.define_template(RoleTemplate::new("empty"), &admin()),
        Err(TemplateError::InvalidEntitlements)
    ));
    let twice = RoleTemplate::new("twice")
        .entitlement(scope("crm:read"))
        .entitlement(scope("crm:read"));
    assert!(matches!(
        g.define_template(twice, &admin()),
        Err(TemplateError::InvalidEntitlements)
    ));
    assert!(matches!(
        g.define_template(
            RoleTemplate::new("bad\nname").entitlement(scope("x")),
            &admin()
        ),
        Err(TemplateError::InvalidName)
    ));
    g.define_template(sales_template(), &admin()).unwrap();
    assert!(matches!(
        g.define_template(sales_template(), &admin()),
        Err(TemplateError::Exists(_))
    ));
    assert!(matches!(
        g.update_template("sales-assistant", Vec::new(), &admin(), "oops"),
        Err(TemplateError::InvalidEntitlements)
    ));
    assert_eq!(
        g.template("sales-assistant").unwrap().1,
        1,
        "nothing changed"
    );
    assert!(matches!(
        g.provision_from_template("ghost", "sales-assistant", &admin()),
        Err(TemplateError::UnknownAgent(_))
    ));
    assert!(g.template_agents("sales-assistant").unwrap().is_empty());
    let refused = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.outcome == Outcome::Success)
        .filter(|e| e.action == AuditAction::Other("governance.template_changed".into()))
        .count();
    assert_eq!(refused, 0);
}

#[test]
fn a_registry_refusal_during_provisioning_leaves_no_grant_and_no_link() {
    let f = fixture();
    let g = &f.governance;
    // The registry refuses a delegation to a user it does not know.
    let template = RoleTemplate::new("delegate")
        .entitlement(scope("crm:read"))
        .entitlement(Entitlement::DelegatedUser {
            user_id: "nobody".into(),
        });
    g.define_template(template, &admin()).unwrap();
    assert!(matches!(
        g.provision_from_template(AGENT, "delegate", &admin()),
        Err(TemplateError::Registry(_))
    ));
    assert!(f.held(AGENT).is_empty());
    assert!(g.template_agents("delegate").unwrap().is_empty());
}
