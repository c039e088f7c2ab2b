//! Screening plugins and pipelines, onboarding applications with their
//! transitions, joint cards, and the outbox of events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Plugins {
    Table,
    Id,
    Name,
    Version,
    Sha256,
    Wasm,
    SizeBytes,
    Builtin,
    UploadedBy,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum ScreeningSteps {
    Table,
    Id,
    OwnerId,
    Position,
    PluginId,
    Config,
    Fuel,
    DeadlineMs,
    MemoryBytes,
    OutputBytes,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    OrganisationId,
    Plan,
    Usage,
    RequestedChains,
    Categories,
    MerchandiseDescription,
    OtherNames,
    SettlementCycle,
    PrintedOnJointCard,
    CommitmentsAffirmedAt,
    Status,
    Screening,
    ApprovedChains,
    ContractId,
    SubmittedBy,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum ApplicationTransitions {
    Table,
    Id,
    ApplicationId,
    FromStatus,
    ToStatus,
    Actor,
    Reason,
    Detail,
    At,
}

#[derive(DeriveIden)]
enum JointCards {
    Table,
    Id,
    OrganisationId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JointCardTransitions {
    Table,
    Id,
    JointCardId,
    FromStatus,
    ToStatus,
    Actor,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OrganisationId,
    EventType,
    Payload,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plugins::Table)
                    .col(big_pk_auto(Plugins::Id))
                    .col(string_len(Plugins::Name, 64))
                    .col(string_len(Plugins::Version, 64))
                    .col(string_len(Plugins::Sha256, 64))
                    .col(blob(Plugins::Wasm))
                    .col(big_integer(Plugins::SizeBytes))
                    .col(boolean(Plugins::Builtin))
                    .col(big_integer_null(Plugins::UploadedBy))
                    .col(timestamp_with_time_zone(Plugins::CreatedAt))
                    .col(timestamp_with_time_zone_null(Plugins::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_plugins_name_version")
                    .table(Plugins::Table)
                    .col(Plugins::Name)
                    .col(Plugins::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ScreeningSteps::Table)
                    .col(big_pk_auto(ScreeningSteps::Id))
                    .col(big_integer(ScreeningSteps::OwnerId))
                    .col(integer(ScreeningSteps::Position))
                    .col(big_integer(ScreeningSteps::PluginId))
                    .col(text(ScreeningSteps::Config))
                    .col(big_integer_null(ScreeningSteps::Fuel))
                    .col(integer_null(ScreeningSteps::DeadlineMs))
                    .col(big_integer_null(ScreeningSteps::MemoryBytes))
                    .col(big_integer_null(ScreeningSteps::OutputBytes))
                    .foreign_key(&mut fk(
                        "fk_screening_steps_owner",
                        (ScreeningSteps::Table, ScreeningSteps::OwnerId),
                        (Organisations::Table, Organisations::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_screening_steps_plugin",
                        (ScreeningSteps::Table, ScreeningSteps::PluginId),
                        (Plugins::Table, Plugins::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_screening_steps_owner_position")
                    .table(ScreeningSteps::Table)
                    .col(ScreeningSteps::OwnerId)
                    .col(ScreeningSteps::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .col(big_pk_auto(Applications::Id))
                    .col(big_integer(Applications::OrganisationId))
                    .col(string_len(Applications::Plan, 32))
                    .col(string_len(Applications::Usage, 16))
                    .col(string_len(Applications::RequestedChains, 64))
                    .col(text(Applications::Categories))
                    .col(text(Applications::MerchandiseDescription))
                    .col(text(Applications::OtherNames))
                    .col(string_len(Applications::SettlementCycle, 16))
                    .col(boolean(Applications::PrintedOnJointCard))
                    .col(timestamp_with_time_zone(
                        Applications::CommitmentsAffirmedAt,
                    ))
                    .col(string_len(Applications::Status, 32))
                    .col(text_null(Applications::Screening))
                    .col(string_len_null(Applications::ApprovedChains, 64))
                    .col(big_integer_null(Applications::ContractId))
                    .col(big_integer(Applications::SubmittedBy))
                    .col(timestamp_with_time_zone(Applications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Applications::DecidedAt))
                    .foreign_key(&mut fk(
                        "fk_applications_organisation",
                        (Applications::Table, Applications::OrganisationId),
                        (Organisations::Table, Organisations::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_applications_contract",
                        (Applications::Table, Applications::ContractId),
                        (Contracts::Table, Contracts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_applications_organisation", Applications::OrganisationId),
            ("ix_applications_status", Applications::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Applications::Table)
                        .col(column)
                        .col(Applications::Id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ApplicationTransitions::Table)
                    .col(big_pk_auto(ApplicationTransitions::Id))
                    .col(big_integer(ApplicationTransitions::ApplicationId))
                    .col(string_len_null(ApplicationTransitions::FromStatus, 32))
                    .col(string_len(ApplicationTransitions::ToStatus, 32))
                    .col(string_len(ApplicationTransitions::Actor, 64))
                    .col(text_null(ApplicationTransitions::Reason))
                    .col(text_null(ApplicationTransitions::Detail))
                    .col(timestamp_with_time_zone(ApplicationTransitions::At))
                    .foreign_key(&mut fk(
                        "fk_application_transitions_application",
                        (
                            ApplicationTransitions::Table,
                            ApplicationTransitions::ApplicationId,
                        ),
                        (Applications::Table, Applications::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_application_transitions_application")
                    .table(ApplicationTransitions::Table)
                    .col(ApplicationTransitions::ApplicationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JointCards::Table)
                    .col(big_pk_auto(JointCards::Id))
                    .col(big_integer(JointCards::OrganisationId))
                    .col(string_len(JointCards::Status, 32))
                    .col(timestamp_with_time_zone(JointCards::CreatedAt))
                    .col(timestamp_with_time_zone(JointCards::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_joint_cards_organisation",
                        (JointCards::Table, JointCards::OrganisationId),
                        (Organisations::Table, Organisations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JointCardTransitions::Table)
                    .col(big_pk_auto(JointCardTransitions::Id))
                    .col(big_integer(JointCardTransitions::JointCardId))
                    .col(string_len_null(JointCardTransitions::FromStatus, 32))
                    .col(string_len(JointCardTransitions::ToStatus, 32))
                    .col(string_len(JointCardTransitions::Actor, 64))
                    .col(text_null(JointCardTransitions::Reason))
                    .col(timestamp_with_time_zone(JointCardTransitions::At))
                    .foreign_key(&mut fk(
                        "fk_joint_card_transitions_card",
                        (
                            JointCardTransitions::Table,
                            JointCardTransitions::JointCardId,
                        ),
                        (JointCards::Table, JointCards::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(big_integer_null(Events::OrganisationId))
                    .col(string_len(Events::EventType, 64))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_organisation")
                    .table(Events::Table)
                    .col(Events::OrganisationId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            JointCardTransitions::Table.into_iden(),
            JointCards::Table.into_iden(),
            ApplicationTransitions::Table.into_iden(),
            Applications::Table.into_iden(),
            ScreeningSteps::Table.into_iden(),
            Plugins::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
