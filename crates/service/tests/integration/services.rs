//! Services over a real SQLite database: setup, sign-in, one-time passwords, bulk add, tokens.

use portcullis_domain::BulkOutcome;
use portcullis_domain::Role;
use portcullis_service::{MemberChange, ServiceError, Services};
use portcullis_store::testing::TestDb;

async fn services() -> (TestDb, Services) {
    let db = TestDb::sqlite().await;
    let s = Services::new(db.store.clone()).await.unwrap();
    (db, s)
}

#[tokio::test]
async fn setup_creates_one_admin_and_validates_input() {
    let (db, s) = services().await;
    assert!(s.needs_setup().await);
    let e = s
        .setup_first_admin("not-an-email", "correct horse battery", "correct horse battery")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "email", .. }));
    let e = s
        .setup_first_admin("a@example.com", "short", "short")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "password", .. }));
    let login = s
        .setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    assert!(login.user.is_admin);
    assert_eq!(
        s.user_for_session(&login.session_token).await.unwrap().unwrap().id,
        login.user.id
    );
    assert!(!s.needs_setup().await);
    assert!(matches!(
        s.setup_first_admin("b@example.com", "correct horse battery", "correct horse battery")
            .await,
        Err(ServiceError::Conflict(_))
    ));
    db.cleanup().await;
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_does_not_reveal_accounts() {
    let (db, s) = services().await;
    s.setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    let unknown = s
        .login("nobody@example.com", "whatever password", "1.2.3.4")
        .await
        .unwrap_err();
    let wrong = s
        .login("a@example.com", "wrong password!!", "1.2.3.4")
        .await
        .unwrap_err();
    assert_eq!(unknown, wrong, "same answer for unknown accounts and wrong passwords");
    for _ in 0..4 {
        s.login("a@example.com", "wrong password!!", "1.2.3.4")
            .await
            .unwrap_err();
    }
    assert!(matches!(
        s.login("a@example.com", "correct horse battery", "5.6.7.8").await,
        Err(ServiceError::Throttled { .. })
    ));
    db.cleanup().await;
}

/// Twenty wrong passwords at once: only the account's limit of them is checked, the rest are
/// refused as throttled (the count used to be taken after the password check, so all passed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_in_attempts_cannot_pass_the_limit() {
    let (db, s) = services().await;
    s.setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.login("a@example.com", "wrong password!!", &format!("10.0.0.{i}"))
                    .await
            })
        })
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Err(ServiceError::Invalid { .. }) => checked += 1,
            Err(ServiceError::Throttled { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(checked, 5, "the per-account limit");
    db.cleanup().await;
}

#[tokio::test]
async fn members_are_invited_and_one_time_passwords_must_be_changed() {
    let (db, s) = services().await;
    let admin = s
        .setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap()
        .user;
    let org = s.create_org(&admin, "Acme").await.unwrap();
    let access = s.org_access(&admin, &org.slug).await.unwrap();
    // The only owner cannot demote themselves (it used to leave the organisation ownerless).
    let demoted = s
        .add_member(&access, &admin.email, "a@example.com", "editor")
        .await
        .unwrap_err();
    assert!(
        matches!(&demoted, ServiceError::Conflict(m) if m.contains("at least one owner")),
        "{demoted:?}"
    );
    // Someone new is invited, not given an account: nothing exists until they accept.
    let MemberChange::Invited { invitation, token } = s
        .add_member(&access, &admin.email, "New@Example.com", "editor")
        .await
        .unwrap()
    else {
        panic!("an invitation")
    };
    assert_eq!(
        (invitation.email.as_str(), invitation.role),
        ("new@example.com", Role::Editor)
    );
    assert_eq!(s.members(&access).await.unwrap().len(), 1);
    let view = s.invitation(&token).await.unwrap();
    assert!(!view.has_account);
    let e = s
        .accept_invitation_with_password(&token, "short", "short")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "password", .. }), "{e:?}");
    let (login, slug) = s
        .accept_invitation_with_password(&token, "a brand new password", "a brand new password")
        .await
        .unwrap();
    assert_eq!(slug, org.slug);
    assert!(!login.user.must_change_password, "they chose it themselves");
    assert!(s.invitation(&token).await.is_err(), "used once");
    // A member's role changes at once.
    assert_eq!(
        s.add_member(&access, &admin.email, "new@example.com", "viewer")
            .await
            .unwrap(),
        MemberChange::RoleChanged {
            email: "new@example.com".into(),
            role: Role::Viewer
        }
    );
    // One-time passwords (made by the operator's command line) must still be changed first.
    let (made, one_time) = s
        .create_user_with_one_time_password("cli@example.com", false)
        .await
        .unwrap();
    assert!(made.must_change_password);
    let login = s.login("cli@example.com", &one_time, "local").await.unwrap();
    let e = s
        .change_password(&login.user, "wrong", "a brand new password", "a brand new password")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "current", .. }));
    let again = s
        .change_password(&login.user, &one_time, "a brand new password", "a brand new password")
        .await
        .unwrap();
    assert!(!again.user.must_change_password);
    assert!(
        s.user_for_session(&login.session_token).await.unwrap().is_none(),
        "old sessions end"
    );
    let members = s.members(&access).await.unwrap();
    assert_eq!(members.len(), 2);
    assert!(
        matches!(s.create_org(&again.user, "Mine").await, Err(ServiceError::Forbidden)),
        "only admins create organisations"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn bulk_add_reports_every_line() {
    let (db, s) = services().await;
    let admin = s
        .setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap()
        .user;
    let org = s.create_org(&admin, "Acme").await.unwrap();
    let access = s.org_access(&admin, &org.slug).await.unwrap();
    s.add_domain(&access, "taken.example").await.unwrap();
    let report = s
        .bulk_add_domains(
            &access,
            "domain,notes\nnew.example,x\nTAKEN.example\n10.0.0.1\nnew.example\nbücher.example\n",
        )
        .await
        .unwrap();
    let outcomes: Vec<_> = report.lines.iter().map(|l| (l.line, l.outcome.clone())).collect();
    assert_eq!(outcomes[0], (2, BulkOutcome::Added));
    assert_eq!(outcomes[1], (3, BulkOutcome::Duplicate("already registered".into())));
    assert!(matches!(&outcomes[2], (4, BulkOutcome::Invalid(r)) if r.contains("IP address")));
    assert_eq!(outcomes[3], (5, BulkOutcome::Duplicate("repeats line 2".into())));
    assert_eq!(report.lines[4].name.as_deref(), Some("xn--bcher-kva.example"));
    assert_eq!((report.added, report.duplicates, report.invalid), (2, 2, 1));
    assert!(matches!(
        s.bulk_add_domains(&access, "\n# nothing\n").await,
        Err(ServiceError::Invalid { field: "text", .. })
    ));
    assert_eq!(s.list_domains_in(&[access], None, 1).await.unwrap().total, 3);
    db.cleanup().await;
}

#[tokio::test]
async fn tokens_never_exceed_their_creator() {
    let (db, s) = services().await;
    let admin = s
        .setup_first_admin("a@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap()
        .user;
    let org = s.create_org(&admin, "Acme").await.unwrap();
    let access = s.org_access(&admin, &org.slug).await.unwrap();
    let (secret, info) = s.create_token(&access, "deploy", "viewer").await.unwrap();
    assert_eq!(
        s.token_access(&secret).await.unwrap().role(),
        portcullis_domain::Role::Viewer
    );
    assert!(matches!(
        s.create_token(&access, " ", "viewer").await,
        Err(ServiceError::Invalid { field: "name", .. })
    ));
    assert!(matches!(
        s.create_token(&access, "x", "admin").await,
        Err(ServiceError::Invalid { field: "role", .. })
    ));
    s.revoke_token(&access, info.id).await.unwrap();
    assert!(matches!(
        s.token_access(&secret).await,
        Err(ServiceError::Unauthenticated)
    ));
    db.cleanup().await;
}

/// The operator (the command line) owns every organisation and finds one by slug or by one of
/// its domains; a signed-in non-member sees neither.
#[tokio::test]
async fn the_operator_acts_as_owner_of_every_organisation() {
    let (db, s) = services().await;
    let operator = portcullis_service::Operator::new(db.store.clone());
    let alpha = operator.create_org("Alpha", None).await.unwrap();
    let beta = operator.create_org("Beta", None).await.unwrap();
    assert!(matches!(
        operator.create_org("alpha", None).await,
        Err(ServiceError::Invalid { field: "name", .. })
    ));
    let slugs: Vec<String> = operator.orgs().await.unwrap().into_iter().map(|o| o.slug).collect();
    assert_eq!(slugs, [alpha.slug.clone(), beta.slug.clone()]);
    let accesses = operator.accesses().await.unwrap();
    assert!(accesses.iter().all(|a| a.role() == Role::Owner) && accesses.len() == 2);

    let beta_access = operator
        .access(&portcullis_domain::OrgSlug::parse(&beta.slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    s.add_domain(&beta_access, "beta.example").await.unwrap();
    let found = operator
        .access_for_domain(&portcullis_domain::DomainName::parse("beta.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.org_slug(), beta.slug);
    assert!(operator
        .access_for_domain(&portcullis_domain::DomainName::parse("nowhere.example").unwrap())
        .await
        .unwrap()
        .is_none());

    let (stranger, _) = s
        .create_user_with_one_time_password("stranger@example.com", false)
        .await
        .unwrap();
    assert!(s.org_access(&stranger, &beta.slug).await.is_err());
    assert_eq!(
        operator
            .user(&portcullis_domain::Email::parse("stranger@example.com").unwrap())
            .await
            .unwrap()
            .map(|u| u.id),
        Some(stranger.id)
    );
}
