//! Accepting an invitation: the holder of the invited address opens the link, then either signs
//! in as that address and joins, or (with no account yet) chooses the password of a new one.

use crate::accounts::Login;
use crate::{ServiceError, Services};
use portcullis_domain::{Email, Password};
use portcullis_store::{Invitation, InvitationFor, OrgAccess, StoreError, User};
use serde::{Deserialize, Serialize};

/// An invitation as its link shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub invitation: InvitationFor,
    /// An account for the address exists: sign in to accept, rather than choose a password.
    pub has_account: bool,
}

fn gone() -> ServiceError {
    ServiceError::Conflict("this invitation link has been used, has expired or was withdrawn: ask for a new one".into())
}

impl Services {
    pub async fn invitations(&self, access: &OrgAccess) -> Result<Vec<Invitation>, ServiceError> {
        Ok(self.store.invitations(access).await?)
    }

    pub async fn revoke_invitation(&self, access: &OrgAccess, id: i64) -> Result<(), ServiceError> {
        Ok(self.store.revoke_invitation(access, id).await?)
    }

    /// The invitation a link opens.
    pub async fn invitation(&self, token: &str) -> Result<InvitationView, ServiceError> {
        let invitation = self.store.invitation_for(token).await?.ok_or_else(gone)?;
        let email = Email::parse(&invitation.email).map_err(|_| ServiceError::Internal)?;
        let has_account = self.store.user_by_email(&email).await?.is_some();
        Ok(InvitationView {
            invitation,
            has_account,
        })
    }

    /// A signed-in user accepts an invitation for their own address; returns the organisation's
    /// slug.
    pub async fn accept_invitation(&self, token: &str, user: &User) -> Result<String, ServiceError> {
        let view = self.invitation(token).await?;
        match self.store.accept_invitation(token, user).await {
            Ok(slug) => {
                tracing::info!(user = %user.email, org = %slug, "invitation accepted");
                Ok(slug)
            }
            Err(StoreError::Forbidden) => Err(ServiceError::Conflict(format!(
                "this invitation is for {}: sign out, then open the link again and sign in as {}",
                view.invitation.email, view.invitation.email
            ))),
            Err(StoreError::NotFound) => Err(gone()),
            Err(e) => Err(e.into()),
        }
    }

    /// Someone without an account accepts: the account is created with the password they chose
    /// (never one anybody else saw), they join, and they are signed in.
    pub async fn accept_invitation_with_password(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(Login, String), ServiceError> {
        let view = self.invitation(token).await?;
        if view.has_account {
            return Err(ServiceError::Conflict(format!(
                "{} already has an account: sign in to accept",
                view.invitation.email
            )));
        }
        let password = Password::new(password).map_err(|e| ServiceError::invalid("password", e))?;
        if password.expose() != confirm {
            return Err(ServiceError::invalid("confirm", "the two passwords differ"));
        }
        let email = Email::parse(&view.invitation.email).map_err(|_| ServiceError::Internal)?;
        let hash = crate::password_hash::hash_password_async(password.expose()).await;
        let user = self.store.create_user(&email, &hash, false, false).await?;
        let slug = self.accept_invitation(token, &user).await?;
        Ok((self.start_session(user).await?, slug))
    }
}
