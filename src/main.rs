use std::process::ExitCode;

use clap::Parser;

use usagelake::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    usagelake::logging::init(&cli.output);
    match usagelake::commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(usagelake::commands::exit_code(&error))
        }
    }
}
