use portcullis_domain::Role;

/// Proof that a caller may act in one organisation with a given role.
///
/// Only the store constructs it (from a membership, a platform-admin account or an API token),
/// and every tenant-scoped method takes one. The fields are private to this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccess {
    pub(crate) org_id: i64,
    pub(crate) role: Role,
    pub(crate) slug: String,
    pub(crate) name: String,
}

impl OrgAccess {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn org_slug(&self) -> &str {
        &self.slug
    }

    pub fn org_name(&self) -> &str {
        &self.name
    }

    pub(crate) fn require(&self, role: Role) -> Result<(), crate::StoreError> {
        if self.role.allows(role) {
            Ok(())
        } else {
            Err(crate::StoreError::Forbidden)
        }
    }
}
