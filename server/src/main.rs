#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shuno::cli::run().await
}
