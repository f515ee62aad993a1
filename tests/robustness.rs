//! Whatever a machine's files contain, detect and plan answer (possibly "unsupported") and never
//! panic: every identity file is filled with arbitrary bytes or near-valid text.

use dockup::facts::{Facts, HostRoot};
use dockup::plan::{self, PlanOptions};
use dockup::platform::{self, Catalog, DecideOptions};
use proptest::prelude::*;

const FILES: [&str; 8] = [
    "etc/os-release",
    "etc/lsb-release",
    "etc/redhat-release",
    "etc/debian_version",
    "proc/sys/kernel/osrelease",
    "proc/sys/kernel/arch",
    "var/lib/dpkg/status",
    "etc/apk/repositories",
];

/// Bytes that are sometimes garbage and sometimes almost an os-release.
fn content() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(Some),
        "(ID|VERSION_ID|VERSION_CODENAME|ID_LIKE|UBUNTU_CODENAME|PLATFORM_ID)=[\"']?[a-z0-9.: _-]{0,12}[\"']?\n"
            .prop_map(|s| Some(s.into_bytes())),
        "(ID=(debian|ubuntu|centos|rhel|fedora|alpine|linuxmint|rocky|sles)\nVERSION_ID=\"?[0-9.]{0,6}\"?\n)"
            .prop_map(|s| Some(s.into_bytes())),
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[-a-z0-9.]{0,10}".prop_map(|s| Some(s.into_bytes())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn detect_and_plan_never_panic(files in proptest::collection::vec(content(), FILES.len())) {
        let dir = tempfile::tempdir().unwrap();
        for (rel, bytes) in FILES.iter().zip(&files) {
            if let Some(bytes) = bytes {
                let path = dir.path().join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
        let facts = Facts::from_root(&HostRoot::at(dir.path())).unwrap();
        let catalog = Catalog::builtin().unwrap();
        let decision = platform::decide(&facts, &catalog, &DecideOptions::default()).unwrap();
        prop_assert!(!decision.reasons.is_empty() || !decision.warnings.is_empty());
        let _ = plan::build(&facts, &decision, &catalog, &PlanOptions::default());
    }

    #[test]
    fn windows_facts_files_never_panic(json in "\\{(\"(current_build|arch|edition_id|installation_type|memory_mb|virtualization_enabled|wsl_version)\": (null|true|false|-?[1-9][0-9]{0,5}|\"[A-Za-z0-9 .]{0,10}\"), ){0,6}\"ubr\": 1\\}") {
        let doc = format!("{{\"os\": \"windows\", \"windows\": {json}}}");
        // A repeated key is a clean error; anything else must parse, however wrong its values.
        let facts = match Facts::from_json(&doc) {
            Ok(facts) => facts,
            Err(e) => {
                prop_assert!(e.contains("duplicate field"), "{e}");
                return Ok(());
            }
        };
        let catalog = Catalog::builtin().unwrap();
        if let Ok(decision) = platform::decide(&facts, &catalog, &DecideOptions::default()) {
            let _ = plan::build(&facts, &decision, &catalog, &PlanOptions::default());
        }
    }
}
