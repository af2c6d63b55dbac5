//! The directory's CRUD: typed errors, versions, manager chains, groups.

use super::*;
use reference_authority::directory::DirectoryError;

#[test]
fn a_person_is_an_authority_user_with_a_place_in_the_organization() {
    let f = fixture();
    let sarah = f.authority.directory().person("sarah").unwrap().unwrap();
    assert!(sarah.active);
    assert_eq!(sarah.manager.as_deref(), Some("maria"));
    assert_eq!(sarah.emails, [Email::work("sarah@acme.example")]);
    assert_eq!(sarah.meta.version, 1);
    assert_eq!(
        f.authority.directory().groups_of("tom").unwrap(),
        ["sales-ops"]
    );
    let err = f
        .authority
        .directory()
        .create_person("ghost", PersonPatch::new(), &admin())
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnknownUser(_)), "{err}");
    let err = f
        .authority
        .directory()
        .create_person("sarah", PersonPatch::new(), &admin())
        .unwrap_err();
    assert!(matches!(err, DirectoryError::PersonExists(_)), "{err}");
}

#[test]
fn updates_bump_the_version_and_a_stale_version_changes_nothing() {
    let f = fixture();
    let directory = f.authority.directory();
    let updated = directory
        .update_person(
            "sarah",
            PersonPatch::new().department(Some("Sales EMEA".into())),
            Some(1),
            &admin(),
        )
        .unwrap();
    assert_eq!(updated.meta.version, 2);
    let err = directory
        .update_person(
            "sarah",
            PersonPatch::new().department(None),
            Some(1),
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        DirectoryError::VersionMismatch {
            expected: 1,
            current: 2
        }
    ));
    assert_eq!(directory.person("sarah").unwrap().unwrap(), updated);
}

#[test]
fn a_manager_chain_never_loops() {
    let f = fixture();
    let directory = f.authority.directory();
    // sarah reports to maria: maria cannot report to sarah, nor to herself.
    for manager in ["sarah", "maria"] {
        let err = directory
            .update_person(
                "maria",
                PersonPatch::new().manager(Some(manager.into())),
                None,
                &admin(),
            )
            .unwrap_err();
        assert!(matches!(err, DirectoryError::ManagerCycle(_)), "{err}");
    }
    let err = directory
        .update_person(
            "maria",
            PersonPatch::new().manager(Some("ghost".into())),
            None,
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnknownPerson(_)), "{err}");
    assert_eq!(directory.person("maria").unwrap().unwrap().meta.version, 1);
}

#[tokio::test]
async fn groups_take_only_people_of_the_directory() {
    let f = fixture();
    let directory = f.authority.directory();
    let err = directory
        .create_group(GroupSpec::new("g", "G").member("ghost"), &admin())
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnknownPerson(_)), "{err}");
    assert!(directory.group("g").unwrap().is_none());
    let err = directory
        .replace_group(GroupSpec::new("nope", "Nope"), None, &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnknownGroup(_)), "{err}");
    let group = directory
        .replace_group(
            GroupSpec::new("sales-ops", "Sales ops")
                .member("tom")
                .member("tom")
                .member("alice"),
            Some(1),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(group.members, ["tom", "alice"]);
    assert_eq!(group.meta.version, 2);
    directory.delete_group("sales-ops", &admin()).await.unwrap();
    assert!(directory.groups_of("tom").unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_person_cannot_be_deactivated() {
    let f = fixture();
    let err = f
        .authority
        .directory()
        .set_active("ghost", false, None, &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnknownPerson(_)), "{err}");
}
