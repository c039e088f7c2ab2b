//! Storage: migrations go down and up again; SQLite runs in WAL mode with
//! foreign keys enforced.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use shuno::config::Config;
use shuno_migrations::{Migrator, MigratorTrait};
use shuno_tests::{TestApp, TestDb};

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let db = TestDb::create().await.expect("database");
    let config = Config::for_database(&db.url());
    shuno::store::migrate(&config).await.expect("up");
    let conn = shuno::store::connect(&config).await.expect("connect");
    let applied = Migrator::get_applied_migrations(&conn)
        .await
        .expect("applied");
    assert_eq!(applied.len(), Migrator::migrations().len());

    Migrator::down(&conn, None).await.expect("down");
    assert!(
        Migrator::get_applied_migrations(&conn)
            .await
            .expect("applied")
            .is_empty()
    );
    let tables = match conn.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'organisations'"
        }
        _ => {
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'organisations'"
        }
    };
    let count = |conn: &sea_orm::DatabaseConnection| {
        let statement = Statement::from_string(conn.get_database_backend(), tables);
        let conn = conn.clone();
        async move {
            let row = conn
                .query_one_raw(statement)
                .await
                .expect("query")
                .expect("row");
            row.try_get::<i64>("", "n").expect("n")
        }
    };
    assert_eq!(count(&conn).await, 0, "down removed the tables");

    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(count(&conn).await, 1);
    conn.close().await.expect("close");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    if std::env::var("SHUNO_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        return; // SQLite-specific; the PostgreSQL run covers the same schema.
    }
    let app = TestApp::spawn().await;
    let conn = Database::connect(app.db.url()).await.expect("connect");
    let mode = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .expect("pragma")
        .expect("row");
    assert_eq!(mode.try_get_by_index::<String>(0).expect("mode"), "wal");
    // The server's own connections refuse an orphan row.
    let orphan = app
        .services
        .db
        .execute_unprepared(
            "INSERT INTO contracts (organisation_id, plan, usage, chains, settlement_cycle, notice_lag_days, fee_schedule, status, created_at) \
             VALUES (424242, 'LIGHT', 'STANDARD', 'LAWSON', 'MONTH_END', 5, '{}', 'ACTIVE', '2026-01-01T00:00:00Z')",
        )
        .await;
    assert!(orphan.is_err(), "foreign keys are enforced");
    app.stop().await;
}
