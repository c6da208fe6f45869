//! DESIGN.md: imports go downward only, and modules on one layer do not import each other.

use std::collections::BTreeMap;

/// What each top-level module may import from the crate.
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("util", &[][..]),
        ("model", &["util"][..]),
        ("config", &["util"][..]),
        ("sig", &["util"][..]),
        ("net", &["util", "config"][..]),
        ("blob", &["util", "config"][..]),
        ("media", &["util", "config", "model"][..]),
        ("store", &["model", "util"][..]),
        (
            "app",
            &[
                "store", "sig", "net", "blob", "media", "model", "config", "util",
            ][..],
        ),
        (
            "api",
            &[
                "app", "store", "sig", "net", "blob", "media", "model", "config", "util",
            ][..],
        ),
        (
            "federation",
            &[
                "app", "store", "sig", "net", "blob", "media", "model", "config", "util",
            ][..],
        ),
        (
            "web",
            &[
                "app", "store", "sig", "net", "blob", "media", "model", "config", "util",
            ][..],
        ),
        (
            "http",
            &[
                "api",
                "federation",
                "web",
                "app",
                "store",
                "sig",
                "net",
                "blob",
                "media",
                "model",
                "config",
                "util",
            ][..],
        ),
        (
            "admin",
            &[
                "app", "store", "sig", "net", "blob", "media", "model", "config", "util",
            ][..],
        ),
    ])
}

fn rust_files(directory: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_go_downward_only() {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = allowed();
    let mut files = Vec::new();
    rust_files(&source, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&source).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(permitted) = allowed.get(module.as_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in text.split("crate::").skip(1) {
            let target: String = used
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if target != module
                && allowed.contains_key(target.as_str())
                && !permitted.contains(&target.as_str())
            {
                violations.push(format!("{} imports crate::{target}", relative.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}
