//! `clinicdocs-server serve | orphans | audit verify | clinic …` (and the hidden `draw-pdf-page`
//! child): parses flags and hands over to the library.

use clap::Parser;
use clinicdocs_server::config::{AuditCommand, Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "clinicdocs_server=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::DrawPdfPage(args) => return clinicdocs_server::drawing::child_main(args),
        Command::DrawPhoto(args) => return clinicdocs_server::drawing::photo_child_main(args),
        Command::Serve(args) => clinicdocs_server::server::run(args).await,
        Command::Orphans(args) => clinicdocs_server::orphans::run(args).await,
        Command::Audit(AuditCommand::Verify(args)) => clinicdocs_server::audit_verify::run(args).await,
        Command::Clinic(cmd) => clinicdocs_server::clinic_cli::run(cmd).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
