//! Organisations, their members and API tokens.

use crate::{ServiceError, Services};
use portcullis_domain::{Email, OrgName, OrgSlug, Role};
use portcullis_store::{Invitation, Member, Org, OrgAccess, OrgWithRole, Store, TokenInfo, User};

/// Days an invitation link stays good.
pub const INVITATION_DAYS: i64 = 7;

/// What adding someone by e-mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// They were a member already: their role is now this.
    RoleChanged { email: String, role: Role },
    /// They were invited: `token` makes the link (`/invite/<token>`), shown once.
    Invited { invitation: Invitation, token: String },
}

impl Services {
    /// Creates an organisation. Platform admins only; the creator becomes its owner.
    pub async fn create_org(&self, user: &User, name: &str) -> Result<Org, ServiceError> {
        if !user.is_admin {
            return Err(ServiceError::Forbidden);
        }
        create_org(&self.store, name, Some(user)).await
    }

    pub async fn orgs_for(&self, user: &User) -> Result<Vec<OrgWithRole>, ServiceError> {
        Ok(self.store.orgs_for_user(user).await?)
    }

    /// The user's access to an organisation; `NotFound` when they have none (no hint it exists).
    pub async fn org_access(&self, user: &User, slug: &str) -> Result<OrgAccess, ServiceError> {
        let slug = OrgSlug::parse(slug).map_err(|_| ServiceError::NotFound)?;
        self.store
            .access_for_user(user, &slug)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn members(&self, access: &OrgAccess) -> Result<Vec<Member>, ServiceError> {
        Ok(self.store.members(access).await?)
    }

    /// An owner adds someone by e-mail: a member of this organisation gets the new role at once;
    /// anyone else (with an account or not) is invited, and joins only by accepting with the
    /// link, which the owner passes on. Nobody can create an account for an address they do not
    /// hold, nor pull an existing account into their organisation.
    pub async fn add_member(
        &self,
        access: &OrgAccess,
        inviter: &str,
        email: &str,
        role: &str,
    ) -> Result<MemberChange, ServiceError> {
        if !access.role().allows(Role::Owner) {
            return Err(ServiceError::Forbidden);
        }
        let role = Role::parse(role).map_err(|e| ServiceError::invalid("role", e))?;
        let parsed = Email::parse(email).map_err(|e| ServiceError::invalid("email", e))?;
        let members = self.store.members(access).await?;
        if let Some(member) = members.iter().find(|m| m.email == parsed.as_str()) {
            let user = self.store.user_by_email(&parsed).await?.ok_or(ServiceError::NotFound)?;
            self.store
                .set_member(access, &user, role)
                .await
                .map_err(|e| last_owner_error(access, e))?;
            return Ok(MemberChange::RoleChanged {
                email: member.email.clone(),
                role,
            });
        }
        let token = portcullis_store::new_secret("inv_");
        let expires_at = portcullis_store::now() + INVITATION_DAYS * 86_400;
        let invitation = self
            .store
            .create_invitation(access, &parsed, role, &token, inviter, expires_at)
            .await?;
        tracing::info!(org = access.org_slug(), email = %parsed, role = role.as_str(), "member invited");
        Ok(MemberChange::Invited { invitation, token })
    }

    pub async fn remove_member(&self, access: &OrgAccess, user_id: i64) -> Result<(), ServiceError> {
        self.store
            .remove_member(access, user_id)
            .await
            .map_err(|e| last_owner_error(access, e))
    }

    pub async fn tokens(&self, access: &OrgAccess) -> Result<Vec<TokenInfo>, ServiceError> {
        Ok(self.store.tokens(access).await?)
    }

    /// Creates an API token; the secret is returned once and only its hash is kept.
    pub async fn create_token(
        &self,
        access: &OrgAccess,
        name: &str,
        role: &str,
    ) -> Result<(String, TokenInfo), ServiceError> {
        let role = Role::parse(role).map_err(|e| ServiceError::invalid("role", e))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid(
                "name",
                "give the token a name of 1 to 100 characters",
            ));
        }
        if !access.role().allows(role) {
            return Err(ServiceError::invalid(
                "role",
                "a token cannot have more rights than you",
            ));
        }
        Ok(self.store.create_token(access, name, role).await?)
    }

    pub async fn revoke_token(&self, access: &OrgAccess, id: i64) -> Result<(), ServiceError> {
        Ok(self.store.revoke_token(access, id).await?)
    }

    /// API bearer tokens: the access they grant, or `Unauthenticated`.
    pub async fn token_access(&self, secret: &str) -> Result<OrgAccess, ServiceError> {
        self.store
            .access_for_token(secret)
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }
}

/// The store refuses an owner's change only when it would leave the organisation ownerless.
fn last_owner_error(access: &OrgAccess, e: portcullis_store::StoreError) -> ServiceError {
    match e {
        portcullis_store::StoreError::Forbidden if access.role().allows(Role::Owner) => {
            ServiceError::Conflict("an organisation needs at least one owner".into())
        }
        other => other.into(),
    }
}

/// Creates an organisation, optionally with a first owner: for a platform admin (as owner) or
/// the machine's operator.
pub(crate) async fn create_org(store: &Store, name: &str, owner: Option<&User>) -> Result<Org, ServiceError> {
    let name = OrgName::parse(name).map_err(|e| ServiceError::invalid("name", e))?;
    let slug = name.slug().map_err(|e| ServiceError::invalid("name", e))?;
    store
        .create_org(&name, &slug, owner)
        .await
        .map_err(|e| match ServiceError::from(e) {
            ServiceError::Conflict(_) => ServiceError::invalid(
                "name",
                format!("an organisation named like this ({slug}) already exists"),
            ),
            other => other,
        })
}
