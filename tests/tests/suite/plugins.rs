//! The built-in plugins as real wasm, against their rules; hostile plugins
//! stopped within their budgets; determinism. These talk to the plugin host
//! directly; the GraphQL side is in `onboarding.rs`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::json;
use shuno::plugins::{CallLimits, Compiled, PluginFailure, PluginHost, builtin::BUILTINS, wit};

fn host() -> &'static PluginHost {
    PluginHost::shared().expect("plugin host")
}

fn builtin(name: &str) -> Arc<Compiled> {
    let plugin = BUILTINS.iter().find(|b| b.name == name).expect("built-in");
    host().compile(plugin.wasm).expect("compiles")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../plugins/dist/fixtures/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn application(
    names: &[&str],
    plan: wit::Plan,
    form: wit::LegalForm,
    origin: Option<wit::CorporateOrigin>,
    categories: &[&str],
    description: &str,
) -> wit::Application {
    wit::Application {
        applicant: wit::Applicant {
            legal_form: form,
            corporate_origin: origin,
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            representative_name: None,
        },
        plan,
        usage: wit::Usage::Standard,
        requested_chains: vec![
            wit::Chain::Lawson,
            wit::Chain::Ministop,
            wit::Chain::Familymart,
        ],
        categories: categories.iter().map(|s| (*s).to_owned()).collect(),
        merchandise_description: description.to_owned(),
    }
}

fn shop(categories: &[&str], description: &str) -> wit::Application {
    application(
        &["まっとう商店株式会社"],
        wit::Plan::Light,
        wit::LegalForm::Corporation,
        Some(wit::CorporateOrigin::Japanese),
        categories,
        description,
    )
}

fn bill(category: &str, description: &str) -> wit::Bill {
    wit::Bill {
        category: category.to_owned(),
        description: description.to_owned(),
        amount: 1_000,
        usage: wit::Usage::Standard,
    }
}

async fn screen(
    plugin: &str,
    config: serde_json::Value,
    subject: wit::Application,
) -> wit::Decision {
    let config = if config.is_null() {
        Vec::new()
    } else {
        config.to_string().into_bytes()
    };
    host()
        .screen_application(builtin(plugin), CallLimits::default(), config, subject)
        .await
        .expect("screens")
        .value
}

fn codes(decision: &wit::Decision) -> Vec<String> {
    decision.reasons.iter().map(|r| r.code.clone()).collect()
}

#[tokio::test]
async fn banned_categories_block_everywhere() {
    for category in [
        "PUBLIC_ORDER_VIOLATION",
        "RENTAL_MOBILE_PHONE",
        "REAL_MONEY_TRADING",
    ] {
        let decision = screen(
            "banned-categories",
            json!(null),
            shop(&["BOOKS_MEDIA", category], "書籍"),
        )
        .await;
        assert_eq!(decision.verdict, wit::Verdict::Block, "{category}");
        assert_eq!(decision.reasons[0].detail.as_deref(), Some(category));
    }
    let keyword = screen(
        "banned-categories",
        json!(null),
        shop(&["DIGITAL_CONTENT"], "ゲーム内アイテムのＲＭＴ代行"),
    )
    .await;
    assert_eq!(codes(&keyword), vec!["BANNED_KEYWORD"]);
    let fine = screen(
        "banned-categories",
        json!(null),
        shop(&["BOOKS_MEDIA", "FOOD"], "書籍と食品"),
    )
    .await;
    assert_eq!(fine.verdict, wit::Verdict::Allow);
    // Configuration replaces the defaults.
    let custom = screen(
        "banned-categories",
        json!({ "categories": ["FOOD"], "keywords": [] }),
        shop(&["FOOD"], "RMT"),
    )
    .await;
    assert_eq!(codes(&custom), vec!["BANNED_CATEGORY"]);

    let bills = host()
        .screen_bills(
            builtin("banned-categories"),
            CallLimits::default(),
            Vec::new(),
            vec![
                bill("FOOD", "お弁当"),
                bill("REAL_MONEY_TRADING", "金貨"),
                bill("GENERAL_MERCHANDISE", "ﾚﾝﾀﾙ携帯 1か月"),
            ],
        )
        .await
        .expect("screens")
        .value;
    let verdicts: Vec<_> = bills.iter().map(|d| d.verdict).collect();
    assert_eq!(
        verdicts,
        vec![
            wit::Verdict::Allow,
            wit::Verdict::Block,
            wit::Verdict::Block
        ]
    );
}

#[tokio::test]
async fn chain_exclusions_exclude_the_chain_not_the_subject() {
    let donation = screen("chain-exclusions", json!(null), shop(&["DONATION"], "寄付")).await;
    assert_eq!(donation.verdict, wit::Verdict::Allow);
    assert_eq!(donation.excluded_chains.len(), 1);
    assert_eq!(donation.excluded_chains[0].chain, wit::Chain::Familymart);
    let insurance = screen(
        "chain-exclusions",
        json!(null),
        shop(&["HEALTH_INSURANCE", "TAX"], "保険料と税"),
    )
    .await;
    let mut excluded: Vec<_> = insurance.excluded_chains.iter().map(|e| e.chain).collect();
    excluded.sort_by_key(|c| *c as u8);
    assert_eq!(excluded, vec![wit::Chain::Ministop, wit::Chain::Familymart]);
    let configured = screen(
        "chain-exclusions",
        json!({ "exclusions": { "LAWSON": ["FOOD"] } }),
        shop(&["FOOD", "DONATION"], "食品"),
    )
    .await;
    assert_eq!(
        configured
            .excluded_chains
            .iter()
            .map(|e| e.chain)
            .collect::<Vec<_>>(),
        vec![wit::Chain::Lawson]
    );
    // A configuration naming an unknown chain is refused by init.
    let refused = host()
        .check_config(
            builtin("chain-exclusions"),
            CallLimits::default(),
            br#"{"exclusions":{"SEVEN":["FOOD"]}}"#.to_vec(),
        )
        .await;
    assert!(
        matches!(refused, Err(PluginFailure::Refused { ref code, .. }) if code == "INVALID_CONFIG"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_watchlist_sees_through_spelling_and_only_ever_reviews() {
    let config = json!({ "names": ["暴力団フロント商事株式会社", "ACME Holdings"] });
    for name in [
        "ｶﾌﾞｼｷｶﾞｲｼｬ 暴力団ﾌﾛﾝﾄ商事",
        "㈱暴力団フロント商事",
        "（株）暴力団　フロント商事",
        "暴力団フロント商事",
        "ＡＣＭＥ　ＨＯＬＤＩＮＧＳ Co., Ltd.",
    ] {
        let subject = application(
            &[name],
            wit::Plan::Light,
            wit::LegalForm::Corporation,
            Some(wit::CorporateOrigin::Japanese),
            &["FOOD"],
            "食品",
        );
        let decision = screen("antisocial-watchlist", config.clone(), subject).await;
        assert_eq!(decision.verdict, wit::Verdict::Review, "{name}");
        assert_eq!(codes(&decision), vec!["WATCHLIST_MATCH"], "{name}");
    }
    let mut representative = shop(&["FOOD"], "食品");
    representative.applicant.representative_name = Some("ＡＣＭＥ ｈｏｌｄｉｎｇｓ".into());
    assert_eq!(
        screen("antisocial-watchlist", config.clone(), representative)
            .await
            .verdict,
        wit::Verdict::Review
    );
    let clean = screen("antisocial-watchlist", config, shop(&["FOOD"], "食品")).await;
    assert_eq!(clean.verdict, wit::Verdict::Allow);
}

#[tokio::test]
async fn system_integration_needs_a_japanese_corporation_or_branch() {
    use wit::{CorporateOrigin::*, LegalForm::*, Plan::*};
    let cases = [
        (Individual, None, SystemIntegration, wit::Verdict::Block),
        (Individual, None, Light, wit::Verdict::Allow),
        (
            Corporation,
            Some(Foreign),
            SystemIntegration,
            wit::Verdict::Block,
        ),
        (
            Corporation,
            Some(ForeignWithJapaneseBranch),
            SystemIntegration,
            wit::Verdict::Allow,
        ),
        (
            Corporation,
            Some(Japanese),
            SystemIntegration,
            wit::Verdict::Allow,
        ),
    ];
    for (form, origin, plan, expected) in cases {
        let decision = screen(
            "plan-eligibility",
            json!(null),
            application(&["山田商店"], plan, form, origin, &["FOOD"], "食品"),
        )
        .await;
        assert_eq!(decision.verdict, expected, "{form:?} {origin:?} {plan:?}");
        if expected == wit::Verdict::Block {
            assert_eq!(codes(&decision), vec!["PLAN_NOT_ELIGIBLE"]);
            assert!(decision.reasons[0].message.contains("LIGHT"));
        }
    }
}

async fn run_fixture(
    name: &str,
    limits: CallLimits,
) -> (Result<wit::Decision, PluginFailure>, Duration) {
    let compiled = host().compile(&fixture(name)).expect("a valid component");
    let started = Instant::now();
    let result = host()
        .screen_application(compiled, limits, Vec::new(), shop(&["FOOD"], "食品"))
        .await
        .map(|s| s.value);
    (result, started.elapsed())
}

#[tokio::test]
async fn hostile_plugins_are_stopped_within_their_budgets() {
    let (spin, elapsed) = run_fixture("spin", CallLimits::default()).await;
    assert_eq!(spin.err(), Some(PluginFailure::FuelExhausted));
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // With fuel to spare, the epoch deadline is the backstop.
    let (spin, elapsed) = run_fixture(
        "spin",
        CallLimits {
            fuel: u64::MAX / 2,
            deadline: Duration::from_millis(50),
            ..CallLimits::default()
        },
    )
    .await;
    assert_eq!(spin.err(), Some(PluginFailure::DeadlineExceeded));
    assert!(
        elapsed < Duration::from_secs(2),
        "stopped near its 50 ms deadline, took {elapsed:?}"
    );

    let (hog, _) = run_fixture(
        "memory-hog",
        CallLimits {
            fuel: u64::MAX / 2,
            deadline: Duration::from_secs(5),
            ..CallLimits::default()
        },
    )
    .await;
    assert_eq!(hog.err(), Some(PluginFailure::MemoryExceeded));

    let (huge, _) = run_fixture(
        "huge-output",
        CallLimits {
            fuel: u64::MAX / 2,
            deadline: Duration::from_secs(5),
            memory_bytes: 48 << 20,
            ..CallLimits::default()
        },
    )
    .await;
    assert!(
        matches!(huge, Err(PluginFailure::OutputTooLarge(n)) if n > 256 << 10),
        "{huge:?}"
    );

    let (trap, _) = run_fixture("trap", CallLimits::default()).await;
    assert!(matches!(trap, Err(PluginFailure::Trapped(_))), "{trap:?}");
    let trap_bills = host()
        .screen_bills(
            host().compile(&fixture("trap")).expect("component"),
            CallLimits::default(),
            Vec::new(),
            vec![bill("FOOD", "x")],
        )
        .await;
    assert!(matches!(trap_bills, Err(PluginFailure::Trapped(_))));

    // After all that, the host still screens.
    let fine = screen("plan-eligibility", json!(null), shop(&["FOOD"], "食品")).await;
    assert_eq!(fine.verdict, wit::Verdict::Allow);
}

#[tokio::test]
async fn components_of_another_world_or_with_ungranted_imports_are_refused() {
    let sockets = host()
        .compile(&fixture("sockets"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        sockets.contains("wasi:sockets"),
        "a component importing wasi:sockets must be refused: {sockets}"
    );
    let core_module = wat_bytes("(module (func (export \"init\")))");
    assert!(
        host().compile(&core_module).is_err(),
        "a core module is not a component"
    );
    let other_world = wat_bytes(
        "(component (core module $m (func (export \"f\"))) (core instance $i (instantiate $m)) (func $f (canon lift (core func $i \"f\"))) (export \"something-else\" (func $f)))",
    );
    assert!(
        host().compile(&other_world).is_err(),
        "a component of another world is refused"
    );
    assert!(host().compile(b"\0asm garbage").is_err());
}

fn wat_bytes(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

#[tokio::test]
async fn the_same_input_gives_the_same_decision() {
    let compiled = host().compile(&fixture("random-echo")).expect("component");
    let subject = shop(&["FOOD"], "食品");
    let first = host()
        .screen_application(
            compiled.clone(),
            CallLimits::default(),
            Vec::new(),
            subject.clone(),
        )
        .await
        .expect("runs");
    let second = host()
        .screen_application(compiled, CallLimits::default(), Vec::new(), subject)
        .await
        .expect("runs");
    let observed = first.value.reasons[0].detail.clone().expect("detail");
    assert_eq!(Some(observed.clone()), second.value.reasons[0].detail);
    assert!(
        observed.contains("now=1767225600000000000"),
        "clocks are frozen: {observed}"
    );
    assert!(
        observed.contains("env=0") && observed.contains("root_readable=false"),
        "{observed}"
    );
    assert_eq!(
        first.fuel_used, second.fuel_used,
        "fuel is deterministic too"
    );

    for plugin in BUILTINS {
        let subject = application(
            &["暴力団フロント商事"],
            wit::Plan::SystemIntegration,
            wit::LegalForm::Individual,
            None,
            &["DONATION", "RMT"],
            "RMT",
        );
        let a = host()
            .screen_application(
                builtin(plugin.name),
                CallLimits::default(),
                Vec::new(),
                subject.clone(),
            )
            .await
            .expect("runs");
        let b = host()
            .screen_application(
                builtin(plugin.name),
                CallLimits::default(),
                Vec::new(),
                subject,
            )
            .await
            .expect("runs");
        assert_eq!(
            format!("{:?}", a.value),
            format!("{:?}", b.value),
            "{}",
            plugin.name
        );
    }
}
