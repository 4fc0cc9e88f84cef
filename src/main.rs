use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = mailadmin::cli::Cli::parse();
    mailadmin::telemetry::init();
    mailadmin::cli::run(cli).await
}
