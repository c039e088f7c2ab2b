//! Building and running the application: the one function `shuno serve` and
//! the tests both use.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::serve::ListenerExt;
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use tokio::net::TcpListener;

use crate::{
    auth::token::TokenKeys,
    authz::Authz,
    config::{Config, Secret},
    demo, graphql,
    http::{self, AppState},
    service::Services,
    store,
};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    port: u16,
}

/// How often a replica reloads the policy to pick up other replicas' revocations.
const POLICY_RELOAD: Duration = Duration::from_secs(30);

impl Application {
    /// Connects, migrates, loads the policy, seeds the demo when asked, and
    /// binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // One TLS stack for every client in the process (webhooks, SMTP).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = Arc::new(config);
        store::migrate(&config)
            .await
            .context("running migrations")?;
        let db = store::connect(&config)
            .await
            .context("connecting to the database")?;

        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => Secret::new(
                store::settings::get_or_init(&db, "jwt_secret", || {
                    let mut bytes = [0u8; 48];
                    rand::rng().fill_bytes(&mut bytes);
                    STANDARD.encode(bytes)
                })
                .await
                .context("loading the JWT secret")?,
            ),
        };
        let tokens = TokenKeys::new(
            &secret,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.token_ttl_seconds,
        );
        let authz = Authz::load(db.clone())
            .await
            .context("loading access policy")?;
        let plugins = crate::plugins::PluginHost::shared()?;
        crate::service::plugins::ensure_builtins(&db)
            .await
            .map_err(|e| anyhow::anyhow!("storing built-in plugins: {e}"))?;
        let services = Arc::new(Services::new(db, authz, tokens, config.clone(), plugins));

        if config.demo {
            demo::seed(&services).await.context("seeding demo data")?;
        }

        let schema = graphql::build_schema(&config, Some(services.clone()));
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            state: AppState { services, schema },
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> Arc<crate::service::Services> {
        self.state.services.clone()
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let services = self.state.services.clone();
        let reloader = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(POLICY_RELOAD);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(err) = services.authz.reload_if_due(POLICY_RELOAD / 2).await {
                    tracing::warn!(error = %err, "policy reload failed");
                }
            }
        });
        let workers = crate::service::workers::spawn(self.state.services.clone());
        let warming = {
            let services = self.state.services.clone();
            tokio::spawn(async move { services.warm_plugins().await })
        };
        let router = http::router(self.state);
        tracing::info!(port = self.port, "listening");
        // Replies go out as they are written: without TCP_NODELAY a reply
        // written in two parts waits for the client's delayed ACK (~40 ms).
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        reloader.abort();
        warming.abort();
        for worker in workers {
            worker.abort();
        }
        tracing::info!("stopped");
        Ok(served?)
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
