//! The storage story, run unchanged against SQLite and PostgreSQL: accounts, organisations,
//! roles, tokens, domains, and above all that one tenant never reaches another's rows.

use portcullis_domain::{DomainName, Email, OrgName, Role};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{BulkInsert, DomainQuery, Store, StoreError};

fn name(s: &str) -> DomainName {
    DomainName::parse(s).unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn org(store: &Store, n: &str, owner: Option<&portcullis_store::User>) -> portcullis_store::Org {
    let n = OrgName::parse(n).unwrap();
    store.create_org(&n, &n.slug().unwrap(), owner).await.unwrap()
}

async fn story(kind: Kind) {
    let db = TestDb::new(kind).await;
    let store = &db.store;

    // Users: first admin only once; e-mails unique.
    assert_eq!(store.user_count().await.unwrap(), 0);
    let admin = store
        .create_first_admin(&email("admin@example.com"), "hash-a")
        .await
        .unwrap();
    assert!(admin.is_admin);
    assert!(matches!(
        store.create_first_admin(&email("other@example.com"), "h").await,
        Err(StoreError::Duplicate(_))
    ));
    let alice = store
        .create_user(&email("alice@example.com"), "hash-alice", false, false)
        .await
        .unwrap();
    let bob = store
        .create_user(&email("bob@example.com"), "hash-bob", false, true)
        .await
        .unwrap();
    assert!(bob.must_change_password);
    assert!(matches!(
        store.create_user(&email("alice@example.com"), "x", false, false).await,
        Err(StoreError::Duplicate(_))
    ));
    let (found, hash) = store
        .user_credentials(&email("alice@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (alice.id, "hash-alice"));

    // Sessions resolve to their user until deleted.
    store.create_session("sess-alice", alice.id, 3600).await.unwrap();
    store.create_session("sess-expired", alice.id, -1).await.unwrap();
    assert_eq!(store.session_user("sess-alice").await.unwrap().unwrap().id, alice.id);
    assert!(store.session_user("sess-expired").await.unwrap().is_none());
    assert_eq!(store.purge_expired_sessions().await.unwrap(), 1);
    store.delete_session("sess-alice").await.unwrap();
    assert!(store.session_user("sess-alice").await.unwrap().is_none());

    // Organisations: alice owns A, bob is a viewer of B.
    let a = org(store, "Alpha Corp", Some(&alice)).await;
    let b = org(store, "Beta Ltd", None).await;
    assert!(matches!(
        store
            .create_org(
                &OrgName::parse("alpha corp").unwrap(),
                &OrgName::parse("alpha corp").unwrap().slug().unwrap(),
                None
            )
            .await,
        Err(StoreError::Duplicate(_))
    ));
    let slug = |o: &portcullis_store::Org| portcullis_domain::OrgSlug::parse(&o.slug).unwrap();
    let admin_b = store
        .access_for_user(&admin, &slug(&b))
        .await
        .unwrap()
        .expect("platform admin sees every org");
    assert_eq!(admin_b.role(), Role::Owner);
    store.set_member(&admin_b, &bob, Role::Viewer).await.unwrap();
    let alice_a = store.access_for_user(&alice, &slug(&a)).await.unwrap().unwrap();
    assert_eq!(alice_a.role(), Role::Owner);
    assert!(
        store.access_for_user(&alice, &slug(&b)).await.unwrap().is_none(),
        "alice is not in B"
    );
    let bob_b = store.access_for_user(&bob, &slug(&b)).await.unwrap().unwrap();
    assert_eq!(bob_b.role(), Role::Viewer);
    assert_eq!(store.orgs_for_user(&alice).await.unwrap().len(), 1);
    assert_eq!(store.orgs_for_user(&admin).await.unwrap().len(), 2);
    let members = store.members(&alice_a).await.unwrap();
    assert_eq!(
        members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
        ["alice@example.com"]
    );
    assert!(
        matches!(
            store.remove_member(&alice_a, alice.id).await,
            Err(StoreError::Forbidden)
        ),
        "last owner stays"
    );
    assert!(
        matches!(
            store.set_member(&bob_b, &alice, Role::Owner).await,
            Err(StoreError::Forbidden)
        ),
        "viewers manage no one"
    );

    // Domains: names are canonical and unique across tenants; viewers cannot write.
    store.add_domain(&alice_a, &name("example.com")).await.unwrap();
    store.add_domain(&alice_a, &name("bücher.example")).await.unwrap();
    assert!(matches!(
        store.add_domain(&admin_b, &name("EXAMPLE.com.")).await,
        Err(StoreError::Duplicate(_))
    ));
    store.add_domain(&admin_b, &name("beta.example")).await.unwrap();
    assert!(matches!(
        store.add_domain(&bob_b, &name("viewer.example")).await,
        Err(StoreError::Forbidden)
    ));

    // Tenant isolation: B's access never sees or touches A's rows.
    assert!(store.domain(&bob_b, &name("example.com")).await.unwrap().is_none());
    assert!(
        store.domain(&admin_b, &name("example.com")).await.unwrap().is_none(),
        "even the admin's B access is scoped to B"
    );
    assert!(matches!(
        store.delete_domain(&admin_b, &name("example.com")).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store.domain(&alice_a, &name("example.com")).await.unwrap().is_some(),
        "A's domain survived"
    );
    let q = DomainQuery {
        search: None,
        offset: 0,
        limit: 50,
    };
    let b_page = store.list_domains(std::slice::from_ref(&bob_b), &q).await.unwrap();
    assert_eq!(
        b_page.rows.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["beta.example"]
    );
    assert!(store
        .find_domain(std::slice::from_ref(&bob_b), &name("example.com"))
        .await
        .unwrap()
        .is_none());
    let (owner, row) = store
        .find_domain(&[bob_b.clone(), alice_a.clone()], &name("example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((owner.org_slug(), row.org_slug.as_str()), ("alpha-corp", "alpha-corp"));

    // Bulk: one transaction, duplicates reported per name.
    let bulk = store
        .add_domains(
            &alice_a,
            &[name("one.example"), name("beta.example"), name("two.example")],
        )
        .await
        .unwrap();
    assert_eq!(bulk, [BulkInsert::Added, BulkInsert::Duplicate, BulkInsert::Added]);
    assert!(matches!(
        store.add_domains(&bob_b, &[name("x.example")]).await,
        Err(StoreError::Forbidden)
    ));

    // Listing: search, pagination, total.
    let search = DomainQuery {
        search: Some("xn--bcher".into()),
        offset: 0,
        limit: 50,
    };
    let found = store
        .list_domains(std::slice::from_ref(&alice_a), &search)
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].name, "xn--bcher-kva.example");
    let wildcard = DomainQuery {
        search: Some("%".into()),
        offset: 0,
        limit: 50,
    };
    assert_eq!(
        store
            .list_domains(std::slice::from_ref(&alice_a), &wildcard)
            .await
            .unwrap()
            .total,
        4,
        "LIKE wildcards from input are dropped"
    );
    let page2 = DomainQuery {
        search: None,
        offset: 2,
        limit: 2,
    };
    let p = store
        .list_domains(std::slice::from_ref(&alice_a), &page2)
        .await
        .unwrap();
    assert_eq!(p.total, 4);
    assert_eq!(
        p.rows.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["two.example", "xn--bcher-kva.example"]
    );

    // Tokens: owners only, never above the creator, scoped to their organisation, revocable.
    let (secret, info) = store.create_token(&alice_a, "ci", Role::Editor).await.unwrap();
    assert!(secret.starts_with("pc_") && secret.len() > 40);
    assert!(secret.starts_with(&info.prefix));
    let via_token = store.access_for_token(&secret).await.unwrap().unwrap();
    assert_eq!((via_token.org_slug(), via_token.role()), ("alpha-corp", Role::Editor));
    assert!(store.access_for_token("pc_wrong").await.unwrap().is_none());
    assert!(store.tokens(&alice_a).await.unwrap()[0].last_used_at.is_some());
    assert!(matches!(
        store.create_token(&bob_b, "x", Role::Viewer).await,
        Err(StoreError::Forbidden)
    ));
    assert!(
        matches!(store.revoke_token(&admin_b, info.id).await, Err(StoreError::NotFound)),
        "B cannot revoke A's token"
    );
    store.revoke_token(&alice_a, info.id).await.unwrap();
    assert!(store.access_for_token(&secret).await.unwrap().is_none());

    // Deleting works in the owning organisation; the org's deletion cascades.
    store.delete_domain(&alice_a, &name("one.example")).await.unwrap();
    assert_eq!(store.count_domains().await.unwrap(), 4);
    store.ping().await.unwrap();
    db.cleanup().await;
}

#[tokio::test]
async fn storage_story_on_sqlite() {
    story(Kind::Sqlite).await;
}

#[tokio::test]
async fn storage_story_on_postgres() {
    story(Kind::Postgres).await;
}

#[tokio::test]
async fn migrations_are_idempotent_and_a_bad_url_is_a_clear_error() {
    let db = TestDb::sqlite().await;
    db.store.migrate().await.expect("second run is a no-op");
    let again = Store::connect(&db.url).await.unwrap();
    again.migrate().await.unwrap();
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
    db.cleanup().await;
}
