//! Everything dockup shows. Commands hand their results here; nothing else prints.

use std::io::{self, IsTerminal, Write};

use serde_json::{Value, json};

mod choices;
mod progress;

pub use choices::{Changes, ask_changes, next_steps};

use crate::facts::Facts;
use crate::plan::Plan;
use crate::platform::Decision;

/// Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
pub struct Style {
    color: bool,
}

impl Style {
    pub fn for_stream(is_terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: is_terminal && !no_color,
        }
    }

    pub fn stdout() -> Style {
        Style::for_stream(io::stdout().is_terminal())
    }

    pub fn stderr() -> Style {
        Style::for_stream(io::stderr().is_terminal())
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn warn(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn error(&self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Kernel release (Linux) or NT version (Windows).
fn kernel(facts: &Facts) -> Option<String> {
    match facts {
        Facts::Linux { linux } => linux.kernel.clone(),
        Facts::Windows { windows } => windows.nt_version(),
        Facts::Macos { .. } => None,
    }
}

fn arch(facts: &Facts) -> Option<String> {
    match facts {
        Facts::Linux { linux } => linux.arch().map(|a| a.to_string()),
        Facts::Windows { windows } => windows.arch.ok().map(|a| a.to_string()),
        Facts::Macos { macos } => macos.arch.as_ref().map(|a| a.to_string()),
    }
}

/// The document `dockup detect --json` prints.
pub fn detect_json(facts: &Facts, decision: &Decision) -> Value {
    json!({
        "strategy": decision.strategy,
        "family": decision.family,
        "repo": decision.repo(),
        "derivative": decision.derivative,
        "os": decision.os,
        "kernel": kernel(facts),
        "arch": arch(facts),
        "init": decision.init,
        "reasons": decision.reasons,
        "warnings": decision.warnings,
        "alternatives": decision.alternatives,
        "facts": facts,
    })
}

pub fn detect_text(facts: &Facts, decision: &Decision, style: &Style) -> String {
    let mut out = String::new();
    let row = |out: &mut String, label: &str, value: &str| {
        out.push_str(&format!(
            "{:<12} {value}\n",
            style.bold(&format!("{label}:"))
        ));
    };
    row(&mut out, "System", &decision.os);
    if let Some(d) = &decision.derivative {
        row(&mut out, "Derivative", d);
    }
    let kernel_arch = match (kernel(facts), arch(facts)) {
        (Some(k), Some(a)) => format!("{k} ({a})"),
        (Some(k), None) => k,
        (None, Some(a)) => format!("unknown ({a})"),
        (None, None) => "unknown".into(),
    };
    row(&mut out, "Kernel", &kernel_arch);
    if let Some(init) = decision.init {
        row(&mut out, "Init", init.name());
    }
    if let Facts::Linux { linux } = facts {
        let docker = if linux.docker.packages.is_empty() && linux.docker.binaries.is_empty() {
            "not installed".to_string()
        } else if linux.docker.packages.is_empty() {
            linux.docker.binaries.join(", ")
        } else {
            linux
                .docker
                .packages
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect::<Vec<_>>()
                .join(", ")
        };
        row(&mut out, "Docker", &docker);
    }
    let strategy = match decision.repo() {
        Some(repo) => format!("{} ({repo})", decision.strategy),
        None => decision.strategy.to_string(),
    };
    row(&mut out, "Strategy", &style.bold(&strategy));
    for reason in &decision.reasons {
        out.push_str(&format!("  - {reason}\n"));
    }
    for warning in &decision.warnings {
        out.push_str(&format!("  {} {warning}\n", style.warn("warning:")));
    }
    if !decision.alternatives.is_empty() {
        out.push_str(&format!("{}\n", style.bold("Alternatives:")));
        for alt in &decision.alternatives {
            match &alt.requires {
                None => out.push_str(&format!("  {:<15} {}\n", alt.strategy.name(), alt.summary)),
                Some(req) => out.push_str(&format!(
                    "  {:<15} {} {}\n",
                    alt.strategy.name(),
                    alt.summary,
                    style.dim(&format!("(needs: {req})"))
                )),
            }
        }
    }
    out
}

/// `done`: per step, why it is already done on this machine (install --dry-run checks).
pub fn plan_json(decision: &Decision, plan: &Plan, done: Option<&[Option<String>]>) -> Value {
    let steps: Vec<Value> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut v = serde_json::to_value(step).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("title".into(), json!(step.title()));
                if let Some(done) = done {
                    map.insert("already_done".into(), json!(done.get(i).cloned().flatten()));
                }
                let ctx = crate::plan::Render {
                    shell: plan.shell,
                    root: plan.root.as_ref(),
                };
                map.insert("commands".into(), json!(step.lines(&ctx)));
            }
            v
        })
        .collect();
    json!({
        "strategy": decision.strategy,
        "repo": decision.repo(),
        "os": decision.os,
        "reasons": decision.reasons,
        "warnings": decision.warnings,
        "steps": steps,
        "notes": plan.notes,
    })
}

/// Why this strategy here: the decision's reasons, one per line, before a run's plan.
pub fn why_text(decision: &Decision, style: &Style) -> String {
    let mut out = format!("{} {}\n", style.bold("Found:"), decision.os);
    for reason in &decision.reasons {
        out.push_str(&format!("  - {reason}\n"));
    }
    out.push('\n');
    out
}

pub fn plan_text(
    decision: &Decision,
    plan: &Plan,
    done: Option<&[Option<String>]>,
    style: &Style,
) -> String {
    let strategy = match decision.repo() {
        Some(repo) => format!("{} ({repo})", decision.strategy),
        None => decision.strategy.to_string(),
    };
    let mut out = format!("{} {} on {}\n", style.bold("Plan:"), strategy, decision.os);
    for warning in &decision.warnings {
        out.push_str(&format!("{} {warning}\n", style.warn("warning:")));
    }
    out.push('\n');
    out.push_str(&plan.text(done));
    out
}

/// Writes to stdout; a closed pipe (`dockup plan | head`) is not an error worth a panic.
pub fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// One JSON value on one line: an event in a stream a script reads line by line.
pub fn print_json_line(value: &Value) {
    print(&format!("{value}\n"));
}

pub fn print_json(value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    print(&format!("{text}\n"));
}

/// `error: ...` with `help:` lines, on stderr.
pub fn print_error(message: &str, help: Option<&str>) {
    let style = Style::stderr();
    let mut text = format!("{} {message}\n", style.error("error:"));
    if let Some(help) = help {
        text.push_str(&format!("  {} {help}\n", style.bold("help:")));
    }
    let _ = io::stderr().write_all(text.as_bytes());
}

pub fn checks_text(checks: &[crate::exec::verify::Check], style: &Style) -> String {
    checks
        .iter()
        .map(|c| {
            let mark = if c.ok {
                style.bold("ok  ")
            } else {
                style.error("FAIL")
            };
            format!("{mark} {:<10} {}\n", c.name, c.detail)
        })
        .collect()
}

/// The doctor's report: problems in full with their fixes; kernel options that are fine are
/// counted rather than listed (unless `all`), and the missing ones share one fix line.
pub fn doctor_text(checks: &[crate::doctor::Check], style: &Style, all: bool) -> String {
    use crate::doctor::Status;
    let mut out = String::new();
    let mut fine_options = 0;
    let mut missing_options = Vec::new();
    for c in checks {
        let is_option = c.id.starts_with("CONFIG_");
        if !all && c.status == Status::Ok && is_option {
            fine_options += 1;
            continue;
        }
        let mark = match c.status {
            Status::Ok => style.bold("ok  "),
            Status::Skipped => style.dim("skip"),
            Status::Warn => style.warn("warn"),
            Status::Fail => style.error("FAIL"),
        };
        out.push_str(&format!("{mark} {:<28} {}\n", c.id, c.summary));
        match &c.fix {
            Some(_) if is_option => missing_options.push(format!("{}=y", c.id)),
            Some(fix) => out.push_str(&format!("     {:<28} {} {fix}\n", "", style.bold("fix:"))),
            None => {}
        }
    }
    if fine_options > 0 {
        out.push_str(&format!(
            "{} {fine_options} kernel options Docker needs or can use are there (--all lists them)\n",
            style.bold("ok  ")
        ));
    }
    if !missing_options.is_empty() {
        out.push_str(&format!(
            "{} rebuild the kernel with {} (=m works too), or boot your distribution's standard kernel\n",
            style.bold("fix:"),
            missing_options.join(" ")
        ));
    }
    out
}

/// What `doctor --fix` did: one line per fix offered.
pub fn doctor_fixes_text(fixes: &[Value], style: &Style) -> String {
    fixes
        .iter()
        .map(|f| {
            let mark = if f["applied"] == true {
                style.bold("fixed")
            } else {
                style.warn("not fixed")
            };
            let id = f["id"].as_str().unwrap_or("");
            let result = f["result"].as_str().unwrap_or("");
            format!("{mark} {id}: {result}\n")
        })
        .collect()
}

/// Shows a run's progress: a line per step on a terminal or in a log, or one JSON object per
/// event with `--json` (for provisioning tools).
pub struct RunView {
    json: bool,
    style: Style,
    /// A spinner per step, where stdout is a terminal.
    progress: Option<progress::StepProgress>,
    /// Questions may be asked: a person is at a terminal and did not say --non-interactive.
    interactive: bool,
    /// Asked once before the first change, when there is one.
    start_question: Option<&'static str>,
    /// The start question also offers "change something first".
    offer_changes: bool,
    change_requested: bool,
}

/// Whether a person can answer: both ends of the conversation are a terminal.
pub fn can_prompt() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// Asks a yes/no question on the terminal. Esc, q and Ctrl-C answer no.
pub fn confirm(question: &str, default: bool) -> bool {
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(default)
        .interact_opt()
        .ok()
        .flatten()
        .unwrap_or(false)
}

impl RunView {
    pub fn new(json: bool) -> RunView {
        RunView {
            json,
            style: Style::stdout(),
            progress: (!json && io::stdout().is_terminal()).then(progress::StepProgress::default),
            interactive: !json && can_prompt(),
            start_question: None,
            offer_changes: false,
            change_requested: false,
        }
    }

    pub fn ask_before_start(mut self, question: &'static str) -> RunView {
        self.start_question = Some(question);
        self
    }

    pub fn offer_changes(mut self, offer: bool) -> RunView {
        self.offer_changes = offer;
        self
    }

    /// The person declined the plan as it is to change something in it.
    pub fn change_requested(&self) -> bool {
        self.change_requested
    }

    /// Never ask, whatever the terminal (--non-interactive).
    pub fn non_interactive(mut self) -> RunView {
        self.interactive = false;
        self
    }

    pub fn json_event(&self, value: Value) {
        if self.json {
            print_json_line(&value);
        }
    }

    pub fn note(&self, text: &str) {
        if self.json {
            self.json_event(json!({"event": "note", "message": text}));
        } else if let Some(progress) = &self.progress {
            progress.println(&format!("{text}\n"));
        } else {
            print(&format!("{text}\n"));
        }
    }
}

/// A step that had nothing to do, terminal or not.
fn skipped_line(index: usize, total: usize, title: &str, why: &str, style: &Style) -> String {
    format!(
        "[{index}/{total}] {title}: {}\n",
        style.dim(&format!("already done ({why})"))
    )
}

/// A step on a terminal: a spinner while it runs, then one line with its outcome.
fn show_on_terminal(
    progress: &mut progress::StepProgress,
    style: &Style,
    event: &crate::exec::Event,
) {
    use crate::exec::Event;
    match event {
        Event::Started {
            index,
            total,
            title,
        } => progress.start(format!("[{index}/{total}] {title}")),
        Event::Skipped {
            index,
            total,
            title,
            why,
        } => progress.println(&skipped_line(*index, *total, title, why, style)),
        Event::Done {
            index,
            total,
            title,
            detail,
        } => {
            progress.finish();
            let detail = detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            print(&format!("[{index}/{total}] {title}: done{detail}\n"));
        }
        Event::Progress { bytes, total } => progress.bytes(*bytes, *total),
        Event::Note(text) => progress.println(&format!("      {text}\n")),
    }
}

impl crate::exec::Observer for RunView {
    fn event(&mut self, event: &crate::exec::Event) {
        use crate::exec::Event;
        if self.json {
            let value = match event {
                Event::Started {
                    index,
                    total,
                    title,
                } => {
                    json!({"event": "step_started", "index": index, "total": total, "title": title})
                }
                Event::Skipped {
                    index,
                    total,
                    title,
                    why,
                } => json!({
                    "event": "step_skipped", "index": index, "total": total, "title": title, "why": why
                }),
                Event::Done {
                    index,
                    total,
                    title,
                    detail,
                } => json!({
                    "event": "step_done", "index": index, "total": total, "title": title, "detail": detail
                }),
                Event::Progress { bytes, total } => {
                    json!({"event": "download_progress", "bytes": bytes, "total": total})
                }
                Event::Note(text) => json!({"event": "note", "message": text}),
            };
            return self.json_event(value);
        }
        if let Some(progress) = &mut self.progress {
            return show_on_terminal(progress, &self.style, event);
        }
        let line = match event {
            Event::Started {
                index,
                total,
                title,
            } => format!("[{index}/{total}] {title} ...\n"),
            Event::Skipped {
                index,
                total,
                title,
                why,
            } => skipped_line(*index, *total, title, why, &self.style),
            Event::Done {
                detail: Some(d), ..
            } => format!("      done: {d}\n"),
            Event::Done { .. } => "      done\n".to_string(),
            // Logs need no byte counts: the step's end says what was fetched.
            Event::Progress { .. } => return,
            Event::Note(text) => format!("      {text}\n"),
        };
        print(&line);
    }

    fn ask(&mut self, question: &str) -> Option<bool> {
        if !self.interactive {
            return None;
        }
        let ask = || confirm(&format!("{question}?"), false);
        Some(match &self.progress {
            Some(progress) => progress.suspend(ask),
            None => ask(),
        })
    }

    fn approve_plan(&mut self) -> bool {
        match (self.interactive, self.start_question) {
            (true, Some(question)) if self.offer_changes => {
                let items = [
                    "Yes".to_string(),
                    "Change something first (the way, the channel, the docker group)".to_string(),
                    "No".to_string(),
                ];
                match choices::choose(question, &items, 0) {
                    Some(0) => true,
                    Some(1) => {
                        self.change_requested = true;
                        false
                    }
                    _ => false,
                }
            }
            (true, Some(question)) => confirm(question, true),
            _ => true,
        }
    }
}
