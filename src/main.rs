use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = dockup::cli::Cli::parse();
    dockup::cli::run(cli).into()
}
