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
        Self::create_on(std::env::var("SHUNO_TEST_POSTGRES").ok()).await
    }

    /// A database on this PostgreSQL server, or SQLite for None.
    pub async fn create_on(postgres: Option<String>) -> anyhow::Result<Self> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match postgres.ok_or(()) {
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

/// A GraphQL client of one server.
#[derive(Clone)]
pub struct Api {
    pub address: String,
    pub client: reqwest::Client,
}

/// A running server and a client for it.
pub struct TestApp {
    pub api: Api,
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
        let db = TestDb::create().await.expect("test database");
        Self::spawn_on(db, adjust).await
    }

    /// A server on SQLite whatever `SHUNO_TEST_POSTGRES` says.
    pub async fn spawn_sqlite_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::create_on(None).await.expect("test database");
        Self::spawn_on(db, adjust).await
    }

    async fn spawn_on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        install_tls_provider();
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
            api: Api {
                address,
                client: reqwest::Client::new(),
            },
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
}

impl std::ops::Deref for TestApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Api {
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

/// A GraphQL subscription over `/graphql/ws` (graphql-transport-ws).
pub struct Subscription {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Api {
    /// Opens a WebSocket, authenticates with `token`, subscribes to `query`.
    pub async fn subscribe(&self, token: &str, query: &str, variables: Value) -> Subscription {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::{
            Message, client::IntoClientRequest, http::HeaderValue,
        };
        let url = format!("{}/graphql/ws", self.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
        socket
            .send(Message::Text(init.to_string().into()))
            .await
            .expect("init sent");
        let mut subscription = Subscription { socket };
        let ack = subscription
            .message(std::time::Duration::from_secs(5))
            .await
            .expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
        subscription
            .socket
            .send(Message::Text(subscribe.to_string().into()))
            .await
            .expect("subscribe sent");
        subscription
    }
}

impl Subscription {
    async fn message(&mut self, wait: std::time::Duration) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match next.ok()? {
                Message::Text(text) => return serde_json::from_str(&text).ok(),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next `next` payload within `wait`, or None. Errors are returned
    /// as they come (`{"type": "error", ...}`).
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
        loop {
            let message = self.message(wait).await?;
            match message["type"].as_str() {
                Some("next") => return Some(message["payload"].clone()),
                Some("error") | Some("complete") => return Some(message),
                _ => continue,
            }
        }
    }
}

/// A webhook receiver for tests: records every request; fails the first
/// `failures` with HTTP 500.
pub struct Receiver {
    pub url: String,
    pub received: std::sync::Arc<tokio::sync::Mutex<Vec<(axum_lite::Headers, String)>>>,
    handle: tokio::task::JoinHandle<()>,
}

pub mod axum_lite {
    /// Request headers as (lower-case name, value) pairs.
    pub type Headers = Vec<(String, String)>;
}

impl Receiver {
    pub async fn start(failures: usize) -> Receiver {
        Self::start_on(0, failures).await
    }

    /// A receiver on a given port (0: any free port).
    pub async fn start_on(port: u16, failures: usize) -> Receiver {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let received: std::sync::Arc<tokio::sync::Mutex<Vec<(axum_lite::Headers, String)>>> =
            Default::default();
        let seen = std::sync::Arc::new(AtomicUsize::new(0));
        let store = received.clone();
        let handle = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, store, seen, failures).await;
                });
            }
        });
        async fn serve_one(
            mut stream: tokio::net::TcpStream,
            store: std::sync::Arc<tokio::sync::Mutex<Vec<(axum_lite::Headers, String)>>>,
            seen: std::sync::Arc<AtomicUsize>,
            failures: usize,
        ) -> std::io::Result<()> {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 8192];
            let (headers, body) = loop {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some(split) = text.find("\r\n\r\n") {
                    let head = &text[..split];
                    let headers: axum_lite::Headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                        .collect();
                    let length: usize = headers
                        .iter()
                        .find(|(k, _)| k == "content-length")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let body_start = split + 4;
                    if buffer.len() >= body_start + length {
                        let body =
                            String::from_utf8_lossy(&buffer[body_start..body_start + length])
                                .to_string();
                        break (headers, body);
                    }
                }
            };
            let attempt = seen.fetch_add(1, Ordering::SeqCst);
            store.lock().await.push((headers, body));
            let status = if attempt < failures {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            stream
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await?;
            stream.shutdown().await
        }
        Receiver {
            url,
            received,
            handle,
        }
    }

    /// Waits until `count` requests arrived, or `wait` passed.
    pub async fn wait_for(
        &self,
        count: usize,
        wait: std::time::Duration,
    ) -> Vec<(axum_lite::Headers, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let got = self.received.lock().await.clone();
            if got.len() >= count || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Verifies a `Shuno-Signature` header for `body` with `secret`.
pub fn signature_valid(header: &str, secret: &str, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some((t, v1)) = header.split_once(',') else {
        return false;
    };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

/// The `shuno` binary running as a process of its own, as in production:
/// for tests that kill it or run several of them on one database.
pub struct ProcessServer {
    child: std::process::Child,
    pub api: Api,
}

impl std::ops::Deref for ProcessServer {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl ProcessServer {
    /// Starts `binary serve` on `database_url` with extra environment, and
    /// waits until it listens.
    pub async fn start(binary: &str, database_url: &str, env: &[(&str, &str)]) -> ProcessServer {
        use std::io::{BufRead, BufReader};
        install_tls_provider();
        let mut command = std::process::Command::new(binary);
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("SHUNO_JWT_SECRET", TEST_JWT_SECRET)
            .env("SHUNO_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let port = tokio::task::spawn_blocking(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.ok()?;
                if let Some(rest) = line.strip_prefix("shuno listening on http://127.0.0.1:") {
                    return rest.trim_end_matches("/graphql").parse::<u16>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("the server listens");
        ProcessServer {
            child,
            api: Api {
                address: format!("http://127.0.0.1:{port}"),
                client: reqwest::Client::new(),
            },
        }
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProcessServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
