//! Organisations: owners and tenants.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    Page, PageRequest,
    entity::organisation::{self, Column, Entity, Model},
};
use crate::domain::{
    organisation::{LegalIdentity, OrganisationKind, TenantKind},
    text::Name,
};

pub struct NewOrganisation {
    pub kind: OrganisationKind,
    pub owner_id: Option<i64>,
    pub name: Name,
    pub tenant_kind: Option<TenantKind>,
    pub legal: LegalIdentity,
    pub representative_name: Option<Name>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewOrganisation) -> Result<Model, DbErr> {
    organisation::ActiveModel {
        id: NotSet,
        kind: Set(new.kind.as_str().to_owned()),
        owner_id: Set(new.owner_id),
        name: Set(new.name.into_inner()),
        tenant_kind: Set(new.tenant_kind.map(|k| k.as_str().to_owned())),
        legal_form: Set(new.legal.form.as_str().to_owned()),
        corporate_origin: Set(new.legal.origin.map(|o| o.as_str().to_owned())),
        corporate_number: Set(new.legal.corporate_number.map(|n| n.as_str().to_owned())),
        representative_name: Set(new.representative_name.map(Name::into_inner)),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn tenants(
    db: &impl ConnectionTrait,
    owner_id: i64,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    super::page(
        db,
        Entity::find().filter(Column::OwnerId.eq(owner_id)),
        Column::Id,
        request,
    )
    .await
}

pub async fn owners(db: &impl ConnectionTrait, request: PageRequest) -> Result<Page<Model>, DbErr> {
    let select = Entity::find().filter(Column::Kind.eq(OrganisationKind::Owner.as_str()));
    super::page(db, select, Column::Id, request).await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find().count(db).await
}
