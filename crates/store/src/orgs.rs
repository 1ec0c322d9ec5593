use crate::pool::WriteTx;
use crate::{now, OrgAccess, Store, StoreError, User};
use portcullis_domain::models::{Member, Org, OrgWithRole};
use portcullis_domain::{OrgName, OrgSlug, Role};

/// An organisation and a role, as read for an [`OrgAccess`]. Private: a public `FromRow` on
/// `OrgAccess` itself would let any crate holding a row make one.
#[derive(sqlx::FromRow)]
pub(crate) struct AccessRow {
    org_id: i64,
    slug: String,
    name: String,
    #[sqlx(try_from = "String")]
    role: Role,
}

impl From<AccessRow> for OrgAccess {
    fn from(row: AccessRow) -> Self {
        OrgAccess {
            org_id: row.org_id,
            role: row.role,
            slug: row.slug,
            name: row.name,
        }
    }
}

/// The columns of an [`AccessRow`] with every right: the CLI operator, platform admins.
const OWNER_ACCESS: &str = "SELECT id AS org_id, slug, name, 'owner' AS role FROM orgs";

impl Store {
    /// Creates an organisation; with `owner`, that user becomes its first owner (same transaction).
    pub async fn create_org(&self, name: &OrgName, slug: &OrgSlug, owner: Option<&User>) -> Result<Org, StoreError> {
        let mut tx = self.begin_write().await?;
        let insert = "INSERT INTO orgs (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id";
        let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(insert)
            .bind(slug.as_str())
            .bind(name.as_str())
            .bind(now())
            .fetch_one(conn)
            .await)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("an organisation with the identifier {slug}")),
            other => other,
        })?;
        if let Some(owner) = owner {
            let sql = "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)";
            on_tx!(tx, |conn| sqlx::query(sql)
                .bind(id)
                .bind(owner.id)
                .bind(now())
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(Org {
            id,
            slug: slug.as_str().to_string(),
            name: name.as_str().to_string(),
        })
    }

    /// The organisations a user can see: their memberships, or every organisation for a platform
    /// admin (as owner).
    pub async fn orgs_for_user(&self, user: &User) -> Result<Vec<OrgWithRole>, StoreError> {
        let sql = if user.is_admin {
            "SELECT o.slug, o.name, 'owner' AS role, \
             (SELECT COUNT(*) FROM domains d WHERE d.org_id = o.id) AS domain_count \
             FROM orgs o WHERE $1 = $1 ORDER BY o.name"
        } else {
            "SELECT o.slug, o.name, m.role, \
             (SELECT COUNT(*) FROM domains d WHERE d.org_id = o.id) AS domain_count \
             FROM orgs o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name"
        };
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(user.id)
            .fetch_all(db)
            .await)?)
    }

    /// Every organisation a user may act in, as access handles (for cross-organisation lists).
    pub async fn accesses_for_user(&self, user: &User) -> Result<Vec<OrgAccess>, StoreError> {
        let sql = if user.is_admin {
            "SELECT o.id AS org_id, o.slug, o.name, 'owner' AS role FROM orgs o WHERE $1 = $1 ORDER BY o.name"
        } else {
            "SELECT o.id AS org_id, o.slug, o.name, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
             WHERE m.user_id = $1 ORDER BY o.name"
        };
        let rows: Vec<AccessRow> = on_pool!(self, |db| sqlx::query_as(sql).bind(user.id).fetch_all(db).await)?;
        Ok(rows.into_iter().map(OrgAccess::from).collect())
    }

    /// The user's access to one organisation; `None` when they are not a member (and not a
    /// platform admin), so callers answer "not found" without revealing that it exists.
    pub async fn access_for_user(&self, user: &User, slug: &OrgSlug) -> Result<Option<OrgAccess>, StoreError> {
        if user.is_admin {
            return self.operator_access(slug).await;
        }
        let sql = "SELECT o.id AS org_id, o.slug, o.name, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
                   WHERE o.slug = $1 AND m.user_id = $2";
        let row: Option<AccessRow> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(slug.as_str())
            .bind(user.id)
            .fetch_optional(db)
            .await)?;
        Ok(row.map(OrgAccess::from))
    }

    /// Command-line access: the operator of the machine acts as owner of any organisation.
    pub async fn operator_access(&self, slug: &OrgSlug) -> Result<Option<OrgAccess>, StoreError> {
        let sql = format!("{OWNER_ACCESS} WHERE slug = $1");
        let row: Option<AccessRow> = on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(slug.as_str())
            .fetch_optional(db)
            .await)?;
        Ok(row.map(OrgAccess::from))
    }

    pub async fn members(&self, access: &OrgAccess) -> Result<Vec<Member>, StoreError> {
        let sql = "SELECT u.id AS user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
                   WHERE m.org_id = $1 ORDER BY u.email";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .fetch_all(db)
            .await)?)
    }

    /// Adds a member or changes their role. Owners only; the last owner cannot be demoted.
    pub async fn set_member(&self, access: &OrgAccess, user: &User, role: Role) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let mut tx = self.begin_write().await?;
        self.lock_org(&mut tx, access.org_id).await?;
        if role != Role::Owner && last_owner(&mut tx, access.org_id, user.id).await? {
            return Err(StoreError::Forbidden);
        }
        let update = "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3";
        let updated = on_tx!(tx, |conn| sqlx::query(update)
            .bind(role.as_str())
            .bind(access.org_id)
            .bind(user.id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        if updated == 0 {
            let insert = "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
            on_tx!(tx, |conn| sqlx::query(insert)
                .bind(access.org_id)
                .bind(user.id)
                .bind(role.as_str())
                .bind(now())
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member. Owners only; the last owner cannot be removed.
    pub async fn remove_member(&self, access: &OrgAccess, user_id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let mut tx = self.begin_write().await?;
        self.lock_org(&mut tx, access.org_id).await?;
        if last_owner(&mut tx, access.org_id, user_id).await? {
            return Err(StoreError::Forbidden);
        }
        let delete = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
        let removed = on_tx!(tx, |conn| sqlx::query(delete)
            .bind(access.org_id)
            .bind(user_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Serialises membership changes of one organisation: two owners demoting or removing each
    /// other at once must not both succeed. SQLite's write transaction is already exclusive;
    /// PostgreSQL locks the organisation's row until the transaction ends.
    async fn lock_org(&self, tx: &mut WriteTx, org_id: i64) -> Result<(), StoreError> {
        if let WriteTx::Postgres(tx) = tx {
            sqlx::query("SELECT id FROM orgs WHERE id = $1 FOR UPDATE")
                .bind(org_id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// Whether `user_id` is an owner of the organisation and no other member is.
async fn last_owner(tx: &mut WriteTx, org_id: i64, user_id: i64) -> Result<bool, StoreError> {
    let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN user_id <> $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
               FROM memberships WHERE org_id = $1 AND role = 'owner'";
    let (is_owner, others): (i64, i64) = on_tx!(tx, |conn| sqlx::query_as(sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_one(conn)
        .await)?;
    Ok(is_owner > 0 && others == 0)
}

impl Store {
    /// Every organisation, for the machine's operator (CLI).
    pub async fn all_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let sql = "SELECT id, slug, name FROM orgs ORDER BY slug";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).fetch_all(db).await)?)
    }

    /// Owner access to every organisation, for the machine's operator (CLI).
    pub async fn operator_accesses(&self) -> Result<Vec<OrgAccess>, StoreError> {
        let sql = format!("{OWNER_ACCESS} ORDER BY slug");
        let rows: Vec<AccessRow> = on_pool!(self, |db| sqlx::query_as(&sql).fetch_all(db).await)?;
        Ok(rows.into_iter().map(OrgAccess::from).collect())
    }
}
