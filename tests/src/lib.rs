//! The black-box test harness: starts the real server on port 0 with a
//! database of its own and talks GraphQL over HTTP like a client.
//!
//! The database is SQLite in a temporary file unless `SHUNO_TEST_POSTGRES`
//! names a PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432`):
//! then each test creates a database of its own there and drops it at the end.

use std::{path::PathBuf, sync::Once};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use shuno::{config::Config, startup::Application};
use tokio::sync::oneshot;

pub use shuno::demo::DEMO_PASSWORD;

/// The JWT secret test servers run with, so that tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test-only-secret-0123456789abcdef";

fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A database for one test, removed when the test ends (also on panic).
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

impl TestDb {
    pub async fn create() -> anyhow::Result<Self> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("SHUNO_TEST_POSTGRES") {
            Ok(server) if !server.is_empty() => {
                let server = server.trim_end_matches('/').to_owned();
                let name = format!("shuno_test_{unique}");
                let admin = Database::connect(format!("{server}/postgres")).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                Ok(TestDb::Postgres { server, name })
            }
            _ => {
                let dir = std::env::temp_dir().join("shuno-tests");
                std::fs::create_dir_all(&dir)?;
                Ok(TestDb::Sqlite(dir.join(format!("{unique}.db"))))
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            TestDb::Postgres { server, name } => format!("{server}/{name}"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDb::Postgres { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop runs inside the test's runtime; a thread of its own
                // with its own runtime can still block on the cleanup.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(admin) = Database::connect(format!("{server}/postgres")).await
                            {
                                let sql =
                                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                                let _ = admin.execute_unprepared(&sql).await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub services: std::sync::Arc<shuno::service::Services>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Declared last: dropped after the server has stopped.
    pub db: TestDb,
}

impl TestApp {
    /// A server on an empty database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server seeded with the demo data (`--demo`).
    pub async fn spawn_demo() -> TestApp {
        Self::spawn_with(|config| config.demo = true).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        install_tls_provider();
        let db = TestDb::create().await.expect("test database");
        let mut config = Config::for_database(&db.url());
        config.jwt_secret = Some(shuno::config::Secret::new(TEST_JWT_SECRET));
        config.db_max_connections = 8;
        adjust(&mut config);
        let app = Application::build(config)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let services = app.services();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        TestApp {
            address,
            client: reqwest::Client::new(),
            services,
            stop: Some(stop),
            server: Some(server),
            db,
        }
    }

    /// Stops the server and waits for it (the database is removed on drop).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Posts a GraphQL request; `token` is sent as `Bearer`.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        response.json::<Value>().await.expect("a JSON reply")
    }

    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_as(Some(token), query, variables).await
    }

    /// Logs in and returns the token; panics when the login fails.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .graphql_as(
                None,
                "mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }",
                json!({ "input": { "email": email, "password": password } }),
            )
            .await;
        reply["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email} failed: {reply}"))
            .to_owned()
    }

    pub async fn demo_login(&self, who: &str) -> String {
        self.login(&format!("{who}@demo.example"), DEMO_PASSWORD)
            .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The `extensions.code` of the first GraphQL error, if any.
pub fn error_code(reply: &Value) -> Option<&str> {
    reply["errors"][0]["extensions"]["code"].as_str()
}

/// The codes of a mutation payload's userErrors.
pub fn user_error_codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
