//! Payment numbers, bills and their versions, store payments, idempotency
//! keys, webhook endpoints and deliveries, and outgoing e-mail.

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
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PaymentNumbers {
    Table,
    Number,
    OrganisationId,
    Email,
    IssuedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Bills {
    Table,
    Id,
    ContractId,
    OrganisationId,
    PaymentNumber,
    Usage,
    Amount,
    DueDate,
    Category,
    Description,
    CustomerEmail,
    AvailableChains,
    Screening,
    Status,
    Version,
    PaymentCount,
    CreatedAt,
    UpdatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum BillVersions {
    Table,
    Id,
    BillId,
    Version,
    Amount,
    DueDate,
    Category,
    Description,
    AvailableChains,
    Status,
    ChangedBy,
    At,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    Chain,
    StoreCode,
    SlipNumber,
    PaidAt,
    PaymentNumber,
    IdempotencyKey,
    RequestHash,
    Total,
    ReportedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentItems {
    Table,
    Id,
    PaymentId,
    BillId,
    ContractId,
    OrganisationId,
    Amount,
    BillVersion,
    PaidAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    Scope,
    Key,
    RequestHash,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganisationId,
    Url,
    EventTypes,
    Secret,
    CreatedBy,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    EndpointId,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    At,
    StatusCode,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
enum OutgoingMessages {
    Table,
    Id,
    OrganisationId,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    LastError,
    CreatedAt,
    SentAt,
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

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<Alias>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentNumbers::Table)
                    .col(string_len(PaymentNumbers::Number, 13).primary_key())
                    .col(big_integer_null(PaymentNumbers::OrganisationId))
                    .col(string_len_null(PaymentNumbers::Email, 254))
                    .col(string_len(PaymentNumbers::IssuedBy, 64))
                    .col(timestamp_with_time_zone(PaymentNumbers::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_payment_numbers_organisation",
                        (PaymentNumbers::Table, PaymentNumbers::OrganisationId),
                        (Organisations::Table, Organisations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bills::Table)
                    .col(big_pk_auto(Bills::Id))
                    .col(big_integer(Bills::ContractId))
                    .col(big_integer(Bills::OrganisationId))
                    .col(string_len(Bills::PaymentNumber, 13))
                    .col(string_len(Bills::Usage, 16))
                    .col(big_integer(Bills::Amount))
                    .col(date(Bills::DueDate))
                    .col(string_len(Bills::Category, 64))
                    .col(text(Bills::Description))
                    .col(string_len_null(Bills::CustomerEmail, 254))
                    .col(string_len(Bills::AvailableChains, 64))
                    .col(text_null(Bills::Screening))
                    .col(string_len(Bills::Status, 16))
                    .col(integer(Bills::Version))
                    .col(integer(Bills::PaymentCount))
                    .col(timestamp_with_time_zone(Bills::CreatedAt))
                    .col(timestamp_with_time_zone(Bills::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Bills::PaidAt))
                    .foreign_key(&mut fk(
                        "fk_bills_contract",
                        (Bills::Table, Bills::ContractId),
                        (Contracts::Table, Contracts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_bills_payment_number",
                        (Bills::Table, Bills::PaymentNumber),
                        (PaymentNumbers::Table, PaymentNumbers::Number),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_bills_payment_number",
            Bills::Table,
            vec![Alias::new("payment_number"), Alias::new("status")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_bills_organisation",
            Bills::Table,
            vec![Alias::new("organisation_id"), Alias::new("id")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_bills_status_due",
            Bills::Table,
            vec![Alias::new("status"), Alias::new("due_date")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BillVersions::Table)
                    .col(big_pk_auto(BillVersions::Id))
                    .col(big_integer(BillVersions::BillId))
                    .col(integer(BillVersions::Version))
                    .col(big_integer(BillVersions::Amount))
                    .col(date(BillVersions::DueDate))
                    .col(string_len(BillVersions::Category, 64))
                    .col(text(BillVersions::Description))
                    .col(string_len(BillVersions::AvailableChains, 64))
                    .col(string_len(BillVersions::Status, 16))
                    .col(string_len(BillVersions::ChangedBy, 64))
                    .col(timestamp_with_time_zone(BillVersions::At))
                    .foreign_key(&mut fk(
                        "fk_bill_versions_bill",
                        (BillVersions::Table, BillVersions::BillId),
                        (Bills::Table, Bills::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_bill_versions",
            BillVersions::Table,
            vec![Alias::new("bill_id"), Alias::new("version")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(string_len(Payments::Chain, 16))
                    .col(string_len(Payments::StoreCode, 32))
                    .col(string_len(Payments::SlipNumber, 64))
                    .col(timestamp_with_time_zone(Payments::PaidAt))
                    .col(string_len(Payments::PaymentNumber, 13))
                    .col(string_len(Payments::IdempotencyKey, 128))
                    .col(string_len(Payments::RequestHash, 64))
                    .col(big_integer(Payments::Total))
                    .col(string_len(Payments::ReportedBy, 64))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_payments_idempotency_key",
            Payments::Table,
            vec![Alias::new("idempotency_key")],
            true,
        )
        .await?;
        index(
            manager,
            "ux_payments_slip",
            Payments::Table,
            vec![
                Alias::new("chain"),
                Alias::new("store_code"),
                Alias::new("slip_number"),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentItems::Table)
                    .col(big_pk_auto(PaymentItems::Id))
                    .col(big_integer(PaymentItems::PaymentId))
                    .col(big_integer(PaymentItems::BillId))
                    .col(big_integer(PaymentItems::ContractId))
                    .col(big_integer(PaymentItems::OrganisationId))
                    .col(big_integer(PaymentItems::Amount))
                    .col(integer(PaymentItems::BillVersion))
                    .col(timestamp_with_time_zone(PaymentItems::PaidAt))
                    .foreign_key(&mut fk(
                        "fk_payment_items_payment",
                        (PaymentItems::Table, PaymentItems::PaymentId),
                        (Payments::Table, Payments::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_payment_items_bill",
                        (PaymentItems::Table, PaymentItems::BillId),
                        (Bills::Table, Bills::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_payment_items_bill",
            PaymentItems::Table,
            vec![Alias::new("bill_id")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_payment_items_contract_paid",
            PaymentItems::Table,
            vec![Alias::new("contract_id"), Alias::new("paid_at")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_payment_items_organisation",
            PaymentItems::Table,
            vec![Alias::new("organisation_id"), Alias::new("id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(big_pk_auto(IdempotencyKeys::Id))
                    .col(string_len(IdempotencyKeys::Scope, 128))
                    .col(string_len(IdempotencyKeys::Key, 128))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(text_null(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_idempotency_keys",
            IdempotencyKeys::Table,
            vec![Alias::new("scope"), Alias::new("key")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(big_pk_auto(WebhookEndpoints::Id))
                    .col(big_integer(WebhookEndpoints::OrganisationId))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(text(WebhookEndpoints::EventTypes))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(big_integer(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoints_organisation",
                        (WebhookEndpoints::Table, WebhookEndpoints::OrganisationId),
                        (Organisations::Table, Organisations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_deliveries_event",
                        (WebhookDeliveries::Table, WebhookDeliveries::EventId),
                        (Events::Table, Events::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_deliveries_endpoint",
                        (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                        (WebhookEndpoints::Table, WebhookEndpoints::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_deliveries_due",
            WebhookDeliveries::Table,
            vec![Alias::new("status"), Alias::new("next_attempt_at")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_deliveries_event",
            WebhookDeliveries::Table,
            vec![Alias::new("event_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempts::Table)
                    .col(big_pk_auto(DeliveryAttempts::Id))
                    .col(big_integer(DeliveryAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(DeliveryAttempts::At))
                    .col(integer_null(DeliveryAttempts::StatusCode))
                    .col(text_null(DeliveryAttempts::Error))
                    .col(integer(DeliveryAttempts::DurationMs))
                    .foreign_key(&mut fk(
                        "fk_delivery_attempts_delivery",
                        (DeliveryAttempts::Table, DeliveryAttempts::DeliveryId),
                        (WebhookDeliveries::Table, WebhookDeliveries::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutgoingMessages::Table)
                    .col(big_pk_auto(OutgoingMessages::Id))
                    .col(big_integer_null(OutgoingMessages::OrganisationId))
                    .col(string_len(OutgoingMessages::Recipient, 254))
                    .col(string_len(OutgoingMessages::Subject, 200))
                    .col(text(OutgoingMessages::Body))
                    .col(string_len(OutgoingMessages::Status, 16))
                    .col(integer(OutgoingMessages::Attempts))
                    .col(text_null(OutgoingMessages::LastError))
                    .col(timestamp_with_time_zone(OutgoingMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutgoingMessages::SentAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_outgoing_messages_status",
            OutgoingMessages::Table,
            vec![Alias::new("status"), Alias::new("id")],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutgoingMessages::Table.into_iden(),
            DeliveryAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            PaymentItems::Table.into_iden(),
            Payments::Table.into_iden(),
            BillVersions::Table.into_iden(),
            Bills::Table.into_iden(),
            PaymentNumbers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
