//! People: creating users and granting their role in the same transaction.

use super::{
    Ctx, Page, PageRequest, ServiceError, Services, Validation,
    organisations::{kind_of, scope_of},
};
use crate::{
    auth::password,
    authz::{Change, Grant, Scope, Subject},
    domain::{
        organisation::OrganisationKind,
        role::{Role, RoleScope},
        text::{Email, Name, Password},
    },
    store::{
        self,
        entity::user::Model as User,
        users::{self, NewUser},
    },
};

pub struct NewUserInput {
    /// None for platform staff.
    pub organisation_id: Option<i64>,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
}

fn email_taken() -> ServiceError {
    ServiceError::invalid(
        &["input", "email"],
        "EMAIL_TAKEN",
        "このメールアドレスは既に登録されています。",
    )
}

impl Services {
    #[tracing::instrument(skip(self, ctx, input), fields(organisation_id = input.organisation_id, role = %input.role))]
    pub async fn create_user(&self, ctx: &Ctx, input: NewUserInput) -> Result<User, ServiceError> {
        ctx.principal()?;
        let role_mismatch = || {
            ServiceError::invalid(
                &["input", "role"],
                "ROLE_NOT_ALLOWED_FOR_ORGANISATION",
                "このロールはこの組織のユーザーには付与できません。",
            )
        };
        if !input.role.is_assignable_to_people() {
            return Err(role_mismatch());
        }
        match input.organisation_id {
            None => {
                self.authorize(ctx, Scope::Platform, "user", "create")
                    .await?;
                if input.role.scope() != RoleScope::Platform {
                    return Err(ServiceError::invalid(
                        &["input", "organisationId"],
                        "ORGANISATION_REQUIRED",
                        "組織のユーザーには組織を指定してください。",
                    ));
                }
            }
            Some(id) => {
                let Some(organisation) = self.visible_organisation(ctx, id).await? else {
                    return Err(ServiceError::invalid(
                        &["input", "organisationId"],
                        "ORGANISATION_NOT_FOUND",
                        "指定された組織が見つかりません。",
                    ));
                };
                self.authorize(ctx, scope_of(&organisation), "user", "create")
                    .await?;
                let expected = match kind_of(&organisation) {
                    Some(OrganisationKind::Owner) => RoleScope::Owner,
                    _ => RoleScope::Tenant,
                };
                if input.role.scope() != expected {
                    return Err(role_mismatch());
                }
            }
        }

        let mut validation = Validation::default();
        let email = validation.check(&["input", "email"], Email::parse(&input.email));
        let password = validation.check(&["input", "password"], Password::parse(&input.password));
        let display_name = match input.display_name.as_deref().map(str::trim) {
            None | Some("") => email.as_ref().and_then(|e| Name::parse(e.as_str()).ok()),
            Some(raw) => validation.check(&["input", "displayName"], Name::parse(raw)),
        };
        validation.finish()?;
        let (Some(email), Some(password), Some(display_name)) = (email, password, display_name)
        else {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "validation passed without values"
            )));
        };
        if users::email_taken(&self.db, &email).await? {
            return Err(email_taken());
        }
        let password_hash = password::hash_blocking(password.expose().to_owned()).await?;
        let role = input.role;
        let organisation_id = input.organisation_id;

        let txn = crate::store::write(&self.db).await?;
        let user = match users::insert(
            &txn,
            NewUser {
                organisation_id,
                email,
                display_name,
                password_hash,
                role,
            },
        )
        .await
        {
            Ok(user) => user,
            Err(err) if store::unique_violation(&err) == Some("ux_users_email") => {
                return Err(email_taken());
            }
            Err(err) => return Err(err.into()),
        };
        let grant = Grant {
            subject: Subject::User(user.id),
            role,
            organisation: organisation_id,
        };
        store::policy::insert(&txn, &[grant.rule()]).await?;
        txn.commit().await?;
        self.authz.applied(vec![Change::Granted(grant)]).await?;
        tracing::info!(user_id = user.id, "user created");
        Ok(user)
    }

    /// A user the caller may see: one of an organisation it can read users
    /// of, or (for platform admins) platform staff. Everyone sees themselves.
    pub async fn visible_user(&self, ctx: &Ctx, id: i64) -> Result<Option<User>, ServiceError> {
        let principal = ctx.principal()?;
        let Some(user) = users::find(&self.db, id).await? else {
            return Ok(None);
        };
        if principal.user_id() == Some(user.id) {
            return Ok(Some(user));
        }
        let scope = match user.organisation_id {
            None => Scope::Platform,
            Some(org_id) => match store::organisations::find(&self.db, org_id).await? {
                Some(organisation) => scope_of(&organisation),
                None => return Ok(None),
            },
        };
        Ok(self.may(ctx, scope, "user", "read").await?.then_some(user))
    }

    /// The users of an organisation the caller may read users of.
    pub async fn users_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: PageRequest,
    ) -> Result<Page<User>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "user", "read")
            .await?;
        Ok(users::of_organisation(&self.db, organisation.id, page).await?)
    }
}
