//! The store: the database connection, the table entities and the data access
//! functions the services call. Nothing above this layer writes SQL.

pub mod entity;
pub mod policy;
pub mod settings;
pub mod settlement;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex as StdMutex, OnceLock},
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, Statement, TransactionTrait, sqlx::sqlite::SqliteJournalMode,
};
use shuno_migrations::{Migrator, MigratorTrait};

use crate::config::Config;

fn options(config: &Config, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.database_url.expose().to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    options
}

/// Applies every pending migration on a connection of its own, closed before
/// the pool opens: a pooled SQLite connection opened during the migration
/// could otherwise keep reading the schema as it was before.
pub async fn migrate(config: &Config) -> Result<(), DbErr> {
    let db = Database::connect(options(config, 1)).await?;
    Migrator::up(&db, None).await?;
    db.close().await
}

/// Opens the pool. A SQLite file is created when missing, in WAL mode, with
/// foreign keys enforced on every connection.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(config, config.db_max_connections)).await
}

/// Whether the database answers, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Which unique constraint a failed insert hit, when it hit one: the single
/// place where database constraint names turn into domain meaning.
pub fn unique_violation(err: &DbErr) -> Option<&'static str> {
    let text = err.to_string();
    let is_unique =
        text.contains("UNIQUE constraint failed") || text.contains("duplicate key value");
    if !is_unique {
        return None;
    }
    const KNOWN: &[(&str, &str)] = &[
        ("users.email", "ux_users_email"),
        ("api_keys.prefix", "ux_api_keys_prefix"),
        ("casbin_rule.ptype", "ux_casbin_rule"),
        ("settings.key", "settings_pkey"),
        ("plugins.name", "ux_plugins_name_version"),
        ("payments.idempotency_key", "ux_payments_idempotency_key"),
        ("payments.chain", "ux_payments_slip"),
        ("idempotency_keys.scope", "ux_idempotency_keys"),
        ("payment_numbers.number", "payment_numbers_pkey"),
    ];
    KNOWN
        .iter()
        .find(|(sqlite, postgres)| text.contains(sqlite) || text.contains(postgres))
        .map(|(_, name)| *name)
}

pub mod api_keys;
pub mod applications;
pub mod bills;
pub mod contracts;
pub mod events;
pub mod idempotency;
pub mod joint_cards;
pub mod messages;
pub mod organisations;
pub mod payments;
pub mod plugins;
pub mod users;
pub mod webhooks;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// One page of a keyset-paginated list, in id order.
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

/// The most items one page may hold; a larger `first` is cut to it.
pub const MAX_PAGE: u64 = 100;

/// A request for a page: the items after the id `after`, at most `first`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub first: u64,
}

impl PageRequest {
    pub fn new(after: Option<i64>, first: Option<i32>) -> Self {
        let first = first.map_or(20, |n| u64::try_from(n).unwrap_or(0).min(MAX_PAGE));
        Self { after, first }
    }
}

/// Runs `select` as one page ordered by `id`.
pub async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id: E::Column,
    request: PageRequest,
) -> Result<Page<E::Model>, DbErr> {
    let mut query = select;
    if let Some(after) = request.after {
        query = query.filter(id.gt(after));
    }
    let mut items = query
        .order_by_asc(id)
        .limit(request.first + 1)
        .all(db)
        .await?;
    let has_next = items.len() as u64 > request.first;
    items.truncate(request.first as usize);
    Ok(Page {
        items,
        has_next,
        has_previous: request.after.is_some(),
    })
}

/// A transaction that writes. On SQLite it holds this process's turn to
/// write, taken before `BEGIN IMMEDIATE`: writers then queue in order on an
/// async lock instead of polling SQLite's busy handler, whose growing sleeps
/// (up to 100 ms a try) turned a busy second into replies of half a second.
pub struct Write {
    txn: DatabaseTransaction,
    // Declared after `txn`: released once the transaction is over.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Write {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// The write turn of each SQLite file this process has open.
fn sqlite_turn(db: &DatabaseConnection) -> Option<Arc<tokio::sync::Mutex<()>>> {
    static TURNS: OnceLock<StdMutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut turns = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(turns.entry(file).or_default().clone())
}

/// Starts a transaction that will write. On SQLite it waits for this
/// process's turn to write, then takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that a read transaction never has to upgrade.
pub async fn write(db: &DatabaseConnection) -> Result<Write, DbErr> {
    let turn = match sqlite_turn(db) {
        Some(turn) => Some(turn.lock_owned().await),
        None => None,
    };
    let txn = db
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(Write { txn, _turn: turn })
}
