//! Logs on stderr, as text for people or JSON lines for schedulers.

use tracing::level_filters::LevelFilter;

use crate::cli::{LogFormat, OutputArgs};

pub fn init(args: &OutputArgs) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::INFO,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(args.verbose > 0);
    // A second init (tests calling run twice in one process) is harmless: keep the first.
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}
