//! The `shuno` command line: `serve` (the default), `migrate`, `schema`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{
    config::{Config, Settings},
    graphql,
    startup::Application,
    store, telemetry,
};

#[derive(Parser)]
#[command(
    name = "shuno",
    version,
    about = "Konbini payment-agency platform: the GraphQL server"
)]
pub struct Cli {
    /// A TOML file with any of the settings below (flags and environment win).
    #[arg(long, global = true, env = "SHUNO_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        #[command(flatten)]
        settings: Settings,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

fn resolve(path: Option<&PathBuf>, settings: Settings) -> anyhow::Result<Config> {
    let file = match path {
        Some(path) => Settings::from_toml_file(path)?,
        None => Settings::default(),
    };
    Ok(Config::from(settings.or(file)))
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Schema) => {
            print!(
                "{}",
                graphql::sdl(&resolve(cli.config.as_ref(), cli.settings)?)
            );
            Ok(())
        }
        Some(Command::Migrate { settings }) => {
            let config = resolve(cli.config.as_ref(), settings.or(cli.settings))?;
            telemetry::init(config.log_format, &config.log);
            store::migrate(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Serve { settings }) => {
            serve(resolve(cli.config.as_ref(), settings.or(cli.settings))?).await
        }
        None => serve(resolve(cli.config.as_ref(), cli.settings)?).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    telemetry::init(config.log_format, &config.log);
    let app = Application::build(config).await?;
    println!("shuno listening on http://127.0.0.1:{}/graphql", app.port());
    app.run_until_stopped().await
}
