//! Every repository path the Markdown files name exists.
//!
//! Files move (tests into the crate they test, vectors into the crate that reads them) and
//! the READMEs, the changelog and the docs keep naming the old place. This test reads every
//! Markdown file of the repository, takes what looks like a repository path — a word of an
//! inline code span or a code block that starts with a top-level directory (`crates/`,
//! `docs/`, `xtask/`, `fuzz/`, `tests/`, `.ci/`, `.github/`), and the target of every
//! relative link — and checks that it exists. A code-span path counts if it exists from the
//! repository root or from the Markdown file's own directory (a crate's README names its
//! `tests/vectors/…`); a link, as GitHub reads it, from the file's directory.
//!
//! Left out: URLs, globs (`*`), placeholders (`<provider>`, `{a,b}`, `…`), and anything
//! under a `target/` directory.

use std::path::{Path, PathBuf};

/// Top-level directories a path must start with to be taken for a repository path.
const TOP_LEVEL: &[&str] = &[
    "crates/", "docs/", "xtask/", "fuzz/", "tests/", ".ci/", ".github/",
];

/// Directories never searched for Markdown files: build output, fuzzing output, VCS data.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    ".git",
    "fuzz/corpus",
    "fuzz/artifacts",
    "fuzz/coverage",
    "fuzz/target",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository root")
        .to_path_buf()
}

/// Every Markdown file under `root`, as paths relative to it, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let dir = root.join(rel);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.flatten() {
            let rel = rel.join(entry.file_name());
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if SKIPPED_DIRS.contains(&name.as_ref()) || SKIPPED_DIRS.contains(&rel_str.as_str())
                {
                    continue;
                }
                walk(root, &rel, out);
            } else if rel_str.ends_with(".md") {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &mut out);
    out.sort();
    out
}

/// Where a candidate path was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A word of an inline code span or a fenced code block.
    Code,
    /// The target of a Markdown link.
    Link,
}

/// A path named by a Markdown file: its line (1-based), the path, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    line: usize,
    path: String,
    kind: Kind,
}

/// Characters that separate the words of a code span or block.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '=' | '"' | '\'' | '(' | ')' | ',' | ';' | '[' | ']' | '`'
        )
}

/// The repository path a word of code names, if it names one.
fn code_path(word: &str) -> Option<String> {
    let word = word.trim_end_matches(['.', ':', ',', ';', ')', '!', '?']);
    if !TOP_LEVEL.iter().any(|top| word.starts_with(top)) {
        return None;
    }
    if is_ignored(word) {
        return None;
    }
    // `path::item`, `path:line` and `path#anchor` name the file.
    let word = word.split("::").next().unwrap_or(word);
    let word = word.split('#').next().unwrap_or(word);
    let word = match word.rsplit_once(':') {
        Some((path, line)) if !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) => path,
        _ => word,
    };
    Some(word.to_string())
}

/// Globs, placeholders and build output: not a path that must exist.
fn is_ignored(path: &str) -> bool {
    path.contains(['*', '<', '>', '{', '}', '$', '…', '|'])
        || path.contains("...")
        || path.starts_with("target/")
        || path.contains("/target/")
}

/// The relative path a link target names, if it names one.
fn link_path(target: &str) -> Option<String> {
    let target = target.trim().trim_start_matches('<').trim_end_matches('>');
    let target = target.split_whitespace().next()?; // drop a title
    if target.is_empty()
        || target.starts_with('#')
        || target.contains("://")
        || target.starts_with("mailto:")
        || is_ignored(target)
    {
        return None;
    }
    let path = target.split('#').next().unwrap_or(target);
    (!path.is_empty()).then(|| path.to_string())
}

/// Every path `text` names in its code spans, code blocks and links.
fn named_paths(text: &str) -> Vec<Named> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            } else {
                code_words(line, line_no, &mut out);
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|&c| c == trimmed.chars().next().unwrap_or('`'))
                .collect();
            fence = Some(marker);
            continue;
        }
        let (spans, rest) = split_code_spans(line);
        for span in spans {
            code_words(&span, line_no, &mut out);
        }
        links(&rest, line_no, &mut out);
    }
    out
}

fn code_words(code: &str, line: usize, out: &mut Vec<Named>) {
    for word in code.split(is_separator) {
        if let Some(path) = code_path(word) {
            out.push(Named {
                line,
                path,
                kind: Kind::Code,
            });
        }
    }
}

/// The inline code spans of a line, and the line with them blanked out (for link parsing).
/// A run of backticks opens a span that the next run of the same length closes; a run
/// without a partner is literal text.
fn split_code_spans(line: &str) -> (Vec<String>, String) {
    let bytes = line.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'`' {
                i += 1;
            }
            runs.push((start, i - start));
        } else {
            i += 1;
        }
    }
    let mut spans = Vec::new();
    let mut rest = String::new();
    let mut pos = 0;
    let mut r = 0;
    while r < runs.len() {
        let (start, len) = runs[r];
        match (r + 1..runs.len()).find(|&k| runs[k].1 == len) {
            Some(k) => {
                rest.push_str(&line[pos..start]);
                rest.push(' ');
                spans.push(line[start + len..runs[k].0].to_string());
                pos = runs[k].0 + len;
                r = k + 1;
            }
            None => r += 1,
        }
    }
    rest.push_str(&line[pos..]);
    (spans, rest)
}

/// Link targets: `[text](target)` and reference definitions `[label]: target`.
fn links(text: &str, line: usize, out: &mut Vec<Named>) {
    let mut push = |target: &str| {
        if let Some(path) = link_path(target) {
            out.push(Named {
                line,
                path,
                kind: Kind::Link,
            });
        }
    };
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        push(&after[..end]);
        rest = &after[end..];
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('[')
        && let Some(at) = trimmed.find("]:")
    {
        push(&trimmed[at + 2..]);
    }
}

/// The paths `text` (the Markdown file `file`, relative to `root`) names that do not exist,
/// as `file:line: path` lines.
fn missing_paths(root: &Path, file: &Path, text: &str) -> Vec<String> {
    let dir = file.parent().unwrap_or(Path::new(""));
    named_paths(text)
        .into_iter()
        .filter(|named| {
            let path = named.path.trim_end_matches('/');
            let exists = match named.kind {
                Kind::Link => match path.strip_prefix('/') {
                    Some(from_root) => root.join(from_root).exists(),
                    None => root.join(dir).join(path).exists(),
                },
                Kind::Code => root.join(path).exists() || root.join(dir).join(path).exists(),
            };
            !exists
        })
        .map(|named| format!("{}:{}: {}", file.display(), named.line, named.path))
        .collect()
}

#[test]
fn every_path_the_markdown_files_name_exists() {
    let root = repo_root();
    let files = markdown_files(&root);
    for expected in ["README.md", "CHANGELOG.md", "docs/provider-crate.md"] {
        assert!(
            files.iter().any(|f| f == Path::new(expected)),
            "{expected} was not found among the Markdown files: {files:?}"
        );
    }
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(root.join(file)).expect("readable Markdown file");
        missing.extend(missing_paths(&root, file, &text));
    }
    assert!(
        missing.is_empty(),
        "Markdown files name repository paths that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_stale_path_is_reported() {
    let root = repo_root();
    let text = "\
The chaos test (`crates/auth-core/tests/fleet_chaos.rs`) moved; the cache is in
`crates/auth-core/src/cache.rs:42` and [the guide](docs/no-such-guide.md) is gone.
";
    let missing = missing_paths(&root, Path::new("README.md"), text);
    assert_eq!(
        missing,
        [
            "README.md:1: crates/auth-core/tests/fleet_chaos.rs",
            "README.md:2: docs/no-such-guide.md",
        ]
    );
}

#[test]
fn paths_in_code_blocks_and_links_are_checked_from_the_right_place() {
    let root = repo_root();
    let text = "\
```sh
cargo mutants --file crates/auth-core/src/cache.rs --file crates/auth-core/src/gone.rs
```
See [the fleet](../../docs/provider-crate.md), [core](../auth-core) and `tests/vectors/`.
[old]: ../../docs/old.md
";
    let missing = missing_paths(&root, Path::new("crates/gtr/README.md"), text);
    assert_eq!(
        missing,
        [
            "crates/gtr/README.md:2: crates/auth-core/src/gone.rs",
            "crates/gtr/README.md:5: ../../docs/old.md",
        ]
    );
}

#[test]
fn urls_globs_placeholders_and_build_output_are_not_paths() {
    let text = "\
`crates/*/README.md`, `crates/<provider>/tests/vectors`, `fuzz/corpus/<target>`,
`target/doc/index.html`, `fuzz/target/x`, [docs](https://docs.rs/reqwest/x/y),
[anchor](#how-it-works), `crates/{gtr,holidu}/src`, `cargo run`, `a/b/c`, `tests/…`
";
    assert_eq!(named_paths(text), []);
}

#[test]
fn words_of_code_spans_are_read_one_by_one() {
    let text = "run `cargo build --manifest-path fuzz/Cargo.toml --bins` and ``a `tick` xtask/src/main.rs``";
    let paths: Vec<_> = named_paths(text).into_iter().map(|n| n.path).collect();
    assert_eq!(paths, ["fuzz/Cargo.toml", "xtask/src/main.rs"]);
}
