use crate::{now, OrgAccess, Store, StoreError, User};
use portcullis_domain::{OrgName, OrgSlug, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgWithRole {
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub domain_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

pub(crate) fn role_of(row: &sqlx::any::AnyRow) -> Result<Role, sqlx::Error> {
    let raw: String = row.try_get("role")?;
    Role::parse(&raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl Store {
    /// Creates an organisation; with `owner`, that user becomes its first owner (same transaction).
    pub async fn create_org(&self, name: &OrgName, slug: &OrgSlug, owner: Option<&User>) -> Result<Org, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("INSERT INTO orgs (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(slug.as_str())
            .bind(name.as_str())
            .bind(now())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Duplicate(_) => {
                    StoreError::Duplicate(format!("an organisation with the identifier {slug}"))
                }
                other => other,
            })?;
        let id: i64 = row.try_get("id")?;
        if let Some(owner) = owner {
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
                .bind(id)
                .bind(owner.id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
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
        let rows = sqlx::query(sql).bind(user.id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(OrgWithRole {
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    role: role_of(r)?,
                    domain_count: r.try_get("domain_count")?,
                })
            })
            .collect()
    }

    /// Every organisation a user may act in, as access handles (for cross-organisation lists).
    pub async fn accesses_for_user(&self, user: &User) -> Result<Vec<OrgAccess>, StoreError> {
        let sql = if user.is_admin {
            "SELECT o.id, o.slug, o.name, 'owner' AS role FROM orgs o WHERE $1 = $1 ORDER BY o.name"
        } else {
            "SELECT o.id, o.slug, o.name, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
             WHERE m.user_id = $1 ORDER BY o.name"
        };
        let rows = sqlx::query(sql).bind(user.id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(access_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The user's access to one organisation; `None` when they are not a member (and not a
    /// platform admin), so callers answer "not found" without revealing that it exists.
    pub async fn access_for_user(&self, user: &User, slug: &OrgSlug) -> Result<Option<OrgAccess>, StoreError> {
        let row = if user.is_admin {
            sqlx::query("SELECT id, slug, name, 'owner' AS role FROM orgs WHERE slug = $1")
                .bind(slug.as_str())
                .fetch_optional(&self.pool)
                .await?
        } else {
            sqlx::query(
                "SELECT o.id, o.slug, o.name, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
                 WHERE o.slug = $1 AND m.user_id = $2",
            )
            .bind(slug.as_str())
            .bind(user.id)
            .fetch_optional(&self.pool)
            .await?
        };
        Ok(row.map(|r| access_from_row(&r)).transpose()?)
    }

    /// Command-line access: the operator of the machine acts as owner of any organisation.
    pub async fn operator_access(&self, slug: &OrgSlug) -> Result<Option<OrgAccess>, StoreError> {
        let row = sqlx::query("SELECT id, slug, name, 'owner' AS role FROM orgs WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| access_from_row(&r)).transpose()?)
    }

    pub async fn members(&self, access: &OrgAccess) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 ORDER BY u.email",
        )
        .bind(access.org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    role: role_of(r)?,
                })
            })
            .collect()
    }

    /// Adds a member or changes their role. Owners only; the last owner cannot be demoted.
    pub async fn set_member(&self, access: &OrgAccess, user: &User, role: Role) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let mut tx = self.begin_write().await?;
        self.lock_org(&mut tx, access.org_id).await?;
        if role != Role::Owner && last_owner(&mut tx, access.org_id, user.id).await? {
            return Err(StoreError::Forbidden);
        }
        let updated = sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(access.org_id)
            .bind(user.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(access.org_id)
                .bind(user.id)
                .bind(role.as_str())
                .bind(now())
                .execute(&mut *tx)
                .await?;
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
        let removed = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(access.org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Serialises membership changes of one organisation: two owners demoting or removing each
    /// other at once must not both succeed. SQLite's write transaction is already exclusive;
    /// PostgreSQL locks the organisation's row until the transaction ends.
    async fn lock_org(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>, org_id: i64) -> Result<(), StoreError> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM orgs WHERE id = $1 FOR UPDATE")
                .bind(org_id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// Whether `user_id` is an owner of the organisation and no other member is.
async fn last_owner(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    org_id: i64,
    user_id: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0) AS is_owner, \
         COALESCE(SUM(CASE WHEN user_id <> $2 THEN 1 ELSE 0 END), 0) AS others \
         FROM memberships WHERE org_id = $1 AND role = 'owner'",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    let is_owner: i64 = row.try_get("is_owner")?;
    let others: i64 = row.try_get("others")?;
    Ok(is_owner > 0 && others == 0)
}

pub(crate) fn access_from_row(row: &sqlx::any::AnyRow) -> Result<OrgAccess, sqlx::Error> {
    Ok(OrgAccess {
        org_id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        role: role_of(row)?,
    })
}

impl Store {
    /// Every organisation, for the machine's operator (CLI).
    pub async fn all_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let rows = sqlx::query("SELECT id, slug, name FROM orgs ORDER BY slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Org {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Owner access to every organisation, for the machine's operator (CLI).
    pub async fn operator_accesses(&self) -> Result<Vec<OrgAccess>, StoreError> {
        let rows = sqlx::query("SELECT id, slug, name, 'owner' AS role FROM orgs ORDER BY slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(access_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
