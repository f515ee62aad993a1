//! What a person at the prompt may change before an install runs, the rustup way: the plan is
//! shown, then "Yes / Change something / No"; a change rebuilds the plan and shows it again.

use crate::plan::{Channel, Plan};
use crate::platform::{Decision, Strategy};

/// The choices a plan leaves open on this machine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The chosen way first, then the alternatives possible now, each with a line about it.
    pub strategies: Vec<(Strategy, String)>,
    /// The channel, where Docker's repository is used.
    pub channel: Option<Channel>,
    /// The user who ran dockup through sudo, when the plan does not add them to the group yet.
    pub group_user: Option<String>,
}

/// What the person picked.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub strategy: Strategy,
    pub channel: Option<Channel>,
    pub add_user: Option<String>,
}

impl Changes {
    /// `channel` and `add_user` are what the options already say.
    pub fn offered(
        decision: &Decision,
        channel: Option<Channel>,
        add_user: Option<&str>,
    ) -> Changes {
        let chosen = decision
            .reasons
            .first()
            .cloned()
            .unwrap_or_else(|| "recommended here".into());
        let mut strategies = vec![(decision.strategy, chosen)];
        strategies.extend(
            decision
                .alternatives
                .iter()
                .filter(|a| a.requires.is_none())
                .map(|a| (a.strategy, a.summary.clone())),
        );
        let group_user = std::env::var("SUDO_USER")
            .ok()
            .filter(|u| !u.is_empty() && u != "root" && add_user.is_none());
        Changes {
            strategies,
            channel: (decision.strategy == Strategy::Repo).then(|| channel.unwrap_or_default()),
            group_user,
        }
    }

    /// Whether there is anything to choose besides yes and no.
    pub fn any(&self) -> bool {
        self.strategies.len() > 1 || self.channel.is_some() || self.group_user.is_some()
    }
}

/// Asks about each open choice in turn; Esc keeps what was there.
pub fn ask_changes(changes: &Changes, current: Strategy) -> Picked {
    let mut picked = Picked {
        strategy: current,
        channel: changes.channel,
        add_user: None,
    };
    if changes.strategies.len() > 1 {
        let items: Vec<String> = changes
            .strategies
            .iter()
            .map(|(s, why)| format!("{s}: {why}"))
            .collect();
        if let Some(i) = choose("How to install Docker", &items, 0) {
            picked.strategy = changes.strategies[i].0;
        }
    }
    // The channel only means something for Docker's repository.
    if picked.strategy == Strategy::Repo
        && let Some(channel) = changes.channel
    {
        let items = [
            "stable: Docker's releases".to_string(),
            "test: release candidates too (not for production)".to_string(),
        ];
        let now = usize::from(channel == Channel::Test);
        if let Some(i) = choose("Docker's release channel", &items, now) {
            picked.channel = Some(if i == 1 {
                Channel::Test
            } else {
                Channel::Stable
            });
        }
    }
    if let Some(user) = &changes.group_user {
        let question = format!(
            "Let {user} use docker without sudo (the docker group; it amounts to root access)?"
        );
        if super::confirm(&question, false) {
            picked.add_user = Some(user.clone());
        }
    }
    picked
}

/// A menu; `None` when the person pressed Esc or the terminal went away.
pub fn choose(prompt: &str, items: &[String], default: usize) -> Option<usize> {
    dialoguer::Select::new()
        .with_prompt(prompt)
        .items(items)
        .default(default)
        .interact_opt()
        .ok()
        .flatten()
}

/// What to do after a successful install, for a person reading the terminal.
pub fn next_steps(plan: &Plan) -> String {
    let try_it = match plan.strategy {
        Strategy::DesktopWsl2 | Strategy::DesktopHyperv => {
            "start Docker Desktop, then in a new terminal: docker run hello-world"
        }
        Strategy::Toolbox | Strategy::Vm => "in a new terminal: docker run hello-world",
        _ => "docker run hello-world   (or: dockup verify)",
    };
    format!("\nNext:\n  {try_it}\n  if something does not work: dockup doctor\n")
}
