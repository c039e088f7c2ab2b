//! `shuno serve --demo`: seeds an empty database with an owner, three
//! tenants, their people and contracts, so the API can be tried at once.

use crate::{
    auth::password,
    authz::{Change, Grant, Subject},
    domain::{
        contract::{ChainSet, FeeSchedule, NoticeLag, Plan, SettlementCycle, Usage},
        organisation::{
            CorporateNumber, CorporateOrigin, LegalForm, LegalIdentity, OrganisationKind,
            TenantKind,
        },
        role::Role,
        text::{Email, Name},
    },
    service::{Services, contracts},
    store::{self, contracts::NewContract, organisations::NewOrganisation, users::NewUser},
};

pub const DEMO_PASSWORD: &str = "demo-pass-1234";

/// A corporate number with a valid check digit for twelve base digits.
fn corporate_number(base: &str) -> anyhow::Result<CorporateNumber> {
    let number = format!("{}{base}", CorporateNumber::check_digit(base));
    CorporateNumber::parse(&number).map_err(|e| anyhow::anyhow!("{e}"))
}

fn japanese_corporation(base: &str) -> anyhow::Result<LegalIdentity> {
    Ok(LegalIdentity {
        form: LegalForm::Corporation,
        origin: Some(CorporateOrigin::Japanese),
        corporate_number: Some(corporate_number(base)?),
    })
}

fn name(text: &str) -> anyhow::Result<Name> {
    Name::parse(text).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Seeds the demo when the database holds no organisations and no users;
/// otherwise does nothing. Prints the logins.
pub async fn seed(services: &Services) -> anyhow::Result<()> {
    let db = &services.db;
    if store::organisations::count(db).await? > 0 || store::users::count(db).await? > 0 {
        tracing::info!("database already has data: demo seed skipped");
        return Ok(());
    }
    let hash = password::hash_blocking(DEMO_PASSWORD.to_owned()).await?;
    let txn = crate::store::write(db).await?;
    let mut grants = Vec::new();
    let mut logins = Vec::new();

    let mut add_user = async |txn: &store::Write,
                              email: &str,
                              display: &str,
                              role: Role,
                              org: Option<i64>|
           -> anyhow::Result<()> {
        let user = store::users::insert(
            txn,
            NewUser {
                organisation_id: org,
                email: Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?,
                display_name: name(display)?,
                password_hash: hash.clone(),
                role,
            },
        )
        .await?;
        let grant = Grant {
            subject: Subject::User(user.id),
            role,
            organisation: org,
        };
        store::policy::insert(txn, &[grant.rule()]).await?;
        grants.push(Change::Granted(grant));
        logins.push(format!("  {email:<24} {role}"));
        Ok(())
    };

    add_user(
        &txn,
        "platform@demo.example",
        "プラットフォーム管理者",
        Role::PlatformAdmin,
        None,
    )
    .await?;
    add_user(
        &txn,
        "reviewer@demo.example",
        "審査担当",
        Role::ComplianceReviewer,
        None,
    )
    .await?;
    add_user(
        &txn,
        "store@demo.example",
        "店舗ネットワーク",
        Role::StoreNetwork,
        None,
    )
    .await?;

    let owner = store::organisations::insert(
        &txn,
        NewOrganisation {
            kind: OrganisationKind::Owner,
            owner_id: None,
            name: name("デモ収納代行株式会社")?,
            tenant_kind: None,
            legal: japanese_corporation("010001000001")?,
            representative_name: Some(name("収納 太郎")?),
        },
    )
    .await?;
    crate::service::plugins::install_default_pipeline(&txn, owner.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    add_user(
        &txn,
        "owner@demo.example",
        "デモ収納代行 管理者",
        Role::OwnerAdmin,
        Some(owner.id),
    )
    .await?;

    let tenants = [
        (
            "デモ収納代行株式会社 大阪支店",
            TenantKind::Branch,
            "branch@demo.example",
            "010001000002",
        ),
        (
            "デモグループ物流株式会社",
            TenantKind::GroupCompany,
            "group@demo.example",
            "010001000003",
        ),
        (
            "デモモール出店者株式会社",
            TenantKind::MallSeller,
            "mall@demo.example",
            "010001000004",
        ),
    ];
    for (tenant_name, kind, email, number) in tenants {
        let tenant = store::organisations::insert(
            &txn,
            NewOrganisation {
                kind: OrganisationKind::Tenant,
                owner_id: Some(owner.id),
                name: name(tenant_name)?,
                tenant_kind: Some(kind),
                legal: japanese_corporation(number)?,
                representative_name: None,
            },
        )
        .await?;
        add_user(
            &txn,
            email,
            &format!("{tenant_name} 管理者"),
            Role::TenantAdmin,
            Some(tenant.id),
        )
        .await?;
        contracts::create(
            &txn,
            NewContract {
                organisation_id: tenant.id,
                plan: Plan::SystemIntegration,
                usage: Usage::Standard,
                chains: ChainSet::all(),
                settlement_cycle: SettlementCycle::MonthEnd,
                notice_lag: NoticeLag::DEFAULT,
                fee_schedule: FeeSchedule::sample(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    txn.commit().await?;
    services.authz.applied(grants).await?;

    println!("Demo data seeded. Every password is {DEMO_PASSWORD}");
    for line in &logins {
        println!("{line}");
    }
    Ok(())
}
