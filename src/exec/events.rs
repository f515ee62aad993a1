//! What the executor tells the UI, and what it asks of it.

/// What the executor tells the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        index: usize,
        total: usize,
        title: String,
    },
    Skipped {
        index: usize,
        total: usize,
        title: String,
        why: String,
    },
    Done {
        index: usize,
        total: usize,
        title: String,
        detail: Option<String>,
    },
    /// Bytes of a download so far, and its size when known.
    Progress {
        bytes: u64,
        total: Option<u64>,
    },
    Note(String),
}

/// The UI side of a run: shows events and answers questions.
pub trait Observer {
    fn event(&mut self, event: &Event);
    /// `None` when nobody can answer (no terminal and no -y).
    fn ask(&mut self, question: &str) -> Option<bool>;
    /// Whether to go ahead, asked once when some step will change the machine (not with -y).
    fn approve_plan(&mut self) -> bool {
        true
    }
}
