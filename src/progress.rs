//! Progress bars on a terminal (rows and rows/s per dataset); silent otherwise, so
//! batch logs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars only when stderr is a terminal and the user did not ask for quiet/JSON.
    pub fn new(enabled: bool) -> Self {
        let multi = (enabled && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8)));
        Progress { multi }
    }

    pub fn hidden() -> Self {
        Progress { multi: None }
    }

    pub fn dataset(&self, source: &str, dataset: &str) -> DatasetProgress {
        let bar = match &self.multi {
            Some(multi) => {
                let bar = multi.add(ProgressBar::new_spinner());
                let style = ProgressStyle::with_template(
                    "{spinner} {prefix:<34} {human_pos:>12} rows  {rate:>16}  {elapsed}",
                )
                .expect("static template")
                // indicatif's own {per_sec} prints every decimal of the float.
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} rows/s", state.per_sec());
                    },
                );
                bar.set_style(style);
                bar.set_prefix(format!("{source}/{dataset}"));
                bar.enable_steady_tick(Duration::from_millis(125));
                bar
            }
            None => ProgressBar::hidden(),
        };
        DatasetProgress { bar }
    }
}

pub struct DatasetProgress {
    bar: ProgressBar,
}

impl DatasetProgress {
    pub fn add_rows(&self, rows: u64) {
        self.bar.inc(rows);
    }

    pub fn finish(&self, note: &str) {
        self.bar.set_message(note.to_string());
        self.bar.finish();
    }
}
