//! Settlement statements; payment items learn their chain (for per-chain
//! fees) and the statement that settled them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentItems {
    Table,
    Chain,
    StatementId,
}

#[derive(DeriveIden)]
enum SettlementStatements {
    Table,
    Id,
    ContractId,
    OrganisationId,
    OwnerId,
    PeriodStart,
    PeriodEnd,
    Sequence,
    PaymentCount,
    Gross,
    Fees,
    FeeTax,
    CarriedIn,
    Net,
    Payout,
    CarryOut,
    NoticeDate,
    PayoutDate,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentItems::Table)
                    .add_column(string_len(PaymentItems::Chain, 16).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentItems::Table)
                    .add_column(big_integer_null(PaymentItems::StatementId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payment_items_unsettled")
                    .table(PaymentItems::Table)
                    .col(Alias::new("contract_id"))
                    .col(PaymentItems::StatementId)
                    .col(Alias::new("paid_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payment_items_statement")
                    .table(PaymentItems::Table)
                    .col(PaymentItems::StatementId)
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SettlementStatements::Table)
                    .col(big_pk_auto(SettlementStatements::Id))
                    .col(big_integer(SettlementStatements::ContractId))
                    .col(big_integer(SettlementStatements::OrganisationId))
                    .col(big_integer(SettlementStatements::OwnerId))
                    .col(date(SettlementStatements::PeriodStart))
                    .col(date(SettlementStatements::PeriodEnd))
                    .col(integer(SettlementStatements::Sequence))
                    .col(big_integer(SettlementStatements::PaymentCount))
                    .col(big_integer(SettlementStatements::Gross))
                    .col(big_integer(SettlementStatements::Fees))
                    .col(big_integer(SettlementStatements::FeeTax))
                    .col(big_integer(SettlementStatements::CarriedIn))
                    .col(big_integer(SettlementStatements::Net))
                    .col(big_integer(SettlementStatements::Payout))
                    .col(big_integer(SettlementStatements::CarryOut))
                    .col(date(SettlementStatements::NoticeDate))
                    .col(date(SettlementStatements::PayoutDate))
                    .col(timestamp_with_time_zone(SettlementStatements::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_settlement_statements_contract")
                            .from(
                                SettlementStatements::Table,
                                SettlementStatements::ContractId,
                            )
                            .to(Contracts::Table, Contracts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_settlement_statements_period")
                    .table(SettlementStatements::Table)
                    .col(SettlementStatements::ContractId)
                    .col(SettlementStatements::PeriodEnd)
                    .col(SettlementStatements::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "ix_settlement_statements_organisation",
                SettlementStatements::OrganisationId,
            ),
            (
                "ix_settlement_statements_owner",
                SettlementStatements::OwnerId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SettlementStatements::Table)
                        .col(column)
                        .col(SettlementStatements::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SettlementStatements::Table).to_owned())
            .await?;
        for index in ["ix_payment_items_statement", "ix_payment_items_unsettled"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(PaymentItems::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentItems::Table)
                    .drop_column(PaymentItems::StatementId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentItems::Table)
                    .drop_column(PaymentItems::Chain)
                    .to_owned(),
            )
            .await
    }
}
