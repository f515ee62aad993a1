//! What a terminal shows while a step runs: a spinner with the step's title and its time, which
//! becomes a byte bar when the step downloads. Only on a terminal: logs and pipes get lines.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Default)]
pub struct StepProgress {
    bar: Option<ProgressBar>,
    sized: bool,
}

impl StepProgress {
    /// Shows `line` with a spinner until `finish`.
    pub fn start(&mut self, line: String) {
        self.finish();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}") {
            bar.set_style(style);
        }
        bar.set_message(line);
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bar = Some(bar);
        self.sized = false;
    }

    /// A download's bytes so far; the spinner turns into a bar once the size is known.
    pub fn bytes(&mut self, bytes: u64, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        if let (Some(total), false) = (total, self.sized) {
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(total);
            self.sized = true;
        }
        bar.set_position(bytes);
    }

    /// Removes the spinner; the caller prints the step's outcome in its place.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Prints a line above the spinner.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text.trim_end_matches('\n')),
            None => super::print(text),
        }
    }

    /// Runs `f` (a prompt) with the spinner off the screen.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

/// A run that stops in the middle of a step (an error, Ctrl-C) leaves that step's line on the
/// screen, so what follows is read against it.
impl Drop for StepProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}
