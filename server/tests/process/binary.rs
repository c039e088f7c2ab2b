//! The `shuno` binary as a user runs it: `serve --demo` on a fresh SQLite
//! file, log in as the demo owner, create a tenant, list tenants; then a
//! second start on the same file seeds nothing; `schema` prints the SDL.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `shuno serve` in `dir` and returns it with its port and stdout lines
/// up to the "listening" line.
fn start(dir: &std::path::Path, args: &[&str]) -> (Server, u16, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shuno"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("shuno starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("shuno listening on http://127.0.0.1:") {
            let port = rest.trim_end_matches("/graphql").parse().expect("port");
            return (server, port, lines);
        }
        lines.push(line);
    }
    panic!("shuno exited before listening: {lines:?}");
}

fn graphql(port: u16, token: Option<&str>, body: serde_json::Value) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut request = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json")
    })
}

#[test]
fn serve_demo_then_log_in_create_and_list_tenants() {
    let dir = std::env::temp_dir().join(format!("shuno-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let _ = std::fs::remove_file(dir.join("shuno.db"));

    let (server, port, lines) = start(&dir, &["--demo"]);
    assert!(
        lines.iter().any(|l| l.contains("owner@demo.example")),
        "{lines:?}"
    );
    assert!(
        dir.join("shuno.db").exists(),
        "the default SQLite file is created in the working directory"
    );

    let login = graphql(
        port,
        None,
        serde_json::json!({ "query": "mutation { login(input: {email: \"owner@demo.example\", password: \"demo-pass-1234\"}) { token } }" }),
    );
    let token = login["data"]["login"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let viewer = graphql(
        port,
        Some(&token),
        serde_json::json!({ "query": "{ viewer { organisation { id } } }" }),
    );
    let owner_id = viewer["data"]["viewer"]["organisation"]["id"]
        .as_str()
        .expect("owner")
        .to_owned();
    let created = graphql(
        port,
        Some(&token),
        serde_json::json!({
            "query": "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { name } userErrors { code } } }",
            "variables": { "input": { "ownerId": owner_id, "name": "福岡支店", "kind": "BRANCH", "legalForm": "INDIVIDUAL" } }
        }),
    );
    assert_eq!(
        created["data"]["createTenant"]["tenant"]["name"], "福岡支店",
        "{created}"
    );
    let listed = graphql(
        port,
        Some(&token),
        serde_json::json!({ "query": "query($id: ID!) { tenants(ownerId: $id) { edges { node { name kind tenantKind } } } }", "variables": { "id": owner_id } }),
    );
    let names: Vec<&str> = listed["data"]["tenants"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    assert_eq!(names.len(), 4, "{listed}");
    assert!(names.contains(&"福岡支店"));
    drop(server);

    // Started again on the same file: the demo seeds nothing, the data stays.
    std::thread::sleep(Duration::from_millis(100));
    let (_server, port, lines) = start(&dir, &["--demo"]);
    assert!(
        !lines.iter().any(|l| l.contains("Demo data seeded")),
        "{lines:?}"
    );
    let login = graphql(
        port,
        None,
        serde_json::json!({ "query": "mutation { login(input: {email: \"owner@demo.example\", password: \"demo-pass-1234\"}) { token } }" }),
    );
    assert!(
        login["data"]["login"]["token"].is_string(),
        "the JWT secret and users survived the restart"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_prints_the_committed_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_shuno"))
        .arg("schema")
        .output()
        .expect("runs");
    let printed = String::from_utf8(output.stdout).expect("utf-8");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/schema.graphql"
    ))
    .expect("file");
    assert_eq!(printed, committed);
}
