//! Organisations (owners and tenants), users, contracts, API keys, the casbin
//! policy rows and the server's own settings (e.g. a generated JWT secret).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Kind,
    OwnerId,
    Name,
    TenantKind,
    LegalForm,
    CorporateOrigin,
    CorporateNumber,
    RepresentativeName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganisationId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    OrganisationId,
    Plan,
    Usage,
    Chains,
    SettlementCycle,
    NoticeLagDays,
    FeeSchedule,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    ContractId,
    Prefix,
    SecretHash,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum CasbinRule {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(big_pk_auto(Organisations::Id))
                    .col(string_len(Organisations::Kind, 16))
                    .col(big_integer_null(Organisations::OwnerId))
                    .col(string_len(Organisations::Name, 200))
                    .col(string_len_null(Organisations::TenantKind, 32))
                    .col(string_len(Organisations::LegalForm, 32))
                    .col(string_len_null(Organisations::CorporateOrigin, 32))
                    .col(string_len_null(Organisations::CorporateNumber, 13))
                    .col(string_len_null(Organisations::RepresentativeName, 200))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organisations_owner")
                            .from(Organisations::Table, Organisations::OwnerId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_organisations_owner")
                    .table(Organisations::Table)
                    .col(Organisations::OwnerId)
                    .col(Organisations::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(big_integer_null(Users::OrganisationId))
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::DisplayName, 200))
                    .col(string_len(Users::PasswordHash, 200))
                    .col(string_len(Users::Role, 32))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_organisation")
                            .from(Users::Table, Users::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_organisation")
                    .table(Users::Table)
                    .col(Users::OrganisationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .col(big_pk_auto(Contracts::Id))
                    .col(big_integer(Contracts::OrganisationId))
                    .col(string_len(Contracts::Plan, 32))
                    .col(string_len(Contracts::Usage, 16))
                    .col(string_len(Contracts::Chains, 64))
                    .col(string_len(Contracts::SettlementCycle, 16))
                    .col(integer(Contracts::NoticeLagDays))
                    .col(text(Contracts::FeeSchedule))
                    .col(string_len(Contracts::Status, 16))
                    .col(timestamp_with_time_zone(Contracts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contracts_organisation")
                            .from(Contracts::Table, Contracts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_contracts_organisation")
                    .table(Contracts::Table)
                    .col(Contracts::OrganisationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::ContractId))
                    .col(string_len(ApiKeys::Prefix, 32))
                    .col(string_len(ApiKeys::SecretHash, 200))
                    .col(big_integer(ApiKeys::CreatedBy))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_contract")
                            .from(ApiKeys::Table, ApiKeys::ContractId)
                            .to(Contracts::Table, Contracts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_keys_prefix")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::Prefix)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CasbinRule::Table)
                    .col(big_pk_auto(CasbinRule::Id))
                    .col(string_len(CasbinRule::Ptype, 12))
                    .col(string_len(CasbinRule::V0, 128))
                    .col(string_len(CasbinRule::V1, 128))
                    .col(string_len(CasbinRule::V2, 128))
                    .col(string_len(CasbinRule::V3, 128))
                    .col(string_len(CasbinRule::V4, 128))
                    .col(string_len(CasbinRule::V5, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_casbin_rule")
                    .table(CasbinRule::Table)
                    .col(CasbinRule::Ptype)
                    .col(CasbinRule::V0)
                    .col(CasbinRule::V1)
                    .col(CasbinRule::V2)
                    .col(CasbinRule::V3)
                    .col(CasbinRule::V4)
                    .col(CasbinRule::V5)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string_len(Settings::Key, 64).primary_key())
                    .col(text(Settings::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Settings::Table.into_iden(),
            CasbinRule::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Contracts::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
