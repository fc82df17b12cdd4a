//! The commands the `RUN`s of a builder stage run, one by one: each
//! simple command of a shell form (split at `;`, `&&`, `||`, `|`, newlines
//! and parentheses) or of a heredoc script, or an exec form, with the
//! `CGO_ENABLED` it runs with and the directory it runs in. What a build
//! makes is decided per command: `CGO_ENABLED=0 go build -o /server . &&
//! go build -o /helper .` builds `/helper` with cgo.

use super::fs;
use super::parse::{Command, Op, Stage};

/// One command a `RUN` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCommand {
    /// The program, then its arguments (the assignments and wrappers
    /// before it, `env`, `ccache` ..., left out), quotes removed.
    pub words: Vec<String>,
    /// `CGO_ENABLED` as the command sees it: its own assignment, else an
    /// `export` before it in the `RUN`, else the stage's `ENV`/`ARG`, else
    /// `go env -w` in an earlier step.
    pub cgo: Option<String>,
    /// The directory it runs in (`WORKDIR`), absolute.
    pub workdir: String,
}

impl RunCommand {
    /// The program's name, without its directory (`x86_64-linux-gnu-gcc-12`).
    pub fn name(&self) -> &str {
        let first = self.words.first().map_or("", String::as_str);
        first.rsplit('/').next().unwrap_or(first)
    }

    /// The arguments.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or_default()
    }

    /// The file `-o FILE` (or `-oFILE`, `-o=FILE`) writes, absolute.
    pub fn output(&self) -> Option<String> {
        let args = self.args();
        let at = args.iter().position(|a| a.starts_with("-o"))?;
        let value = match args[at].strip_prefix("-o").unwrap_or_default() {
            "" => args.get(at + 1)?.as_str(),
            rest => rest.strip_prefix('=').unwrap_or(rest),
        };
        (!value.is_empty() && !value.ends_with('/')).then(|| fs::normalize(value, &self.workdir))
    }

    /// Whether `go build` or `go install` runs.
    pub fn is_go_build(&self) -> bool {
        self.name() == "go" && matches!(self.args().first().map(String::as_str), Some("build" | "install"))
    }
}

/// Words a command may follow in a shell text: keywords and the wrappers
/// that run the command after them.
const BEFORE: [&str; 12] = [
    "then", "do", "else", "exec", "ccache", "env", "time", "nice", "sudo", "command", "!", "{",
];

/// The commands of the stages' `RUN`s, in build order (`stages` is a
/// stage and its bases, the stage first, as a `COPY --from` chain).
pub fn run_commands(stages: &[&Stage]) -> Vec<RunCommand> {
    let mut out = Vec::new();
    let mut workdir = "/".to_string();
    // `go env -w CGO_ENABLED=V`: the go command's own setting, below the
    // environment's.
    let mut go_env: Option<String> = None;
    for step in stages.iter().rev().flat_map(|s| &s.steps) {
        match &step.op {
            Op::Workdir(w) => workdir = fs::normalize(w, &workdir),
            Op::Run { command, cgo, heredocs } => {
                let mut exported = cgo.clone();
                let mut simple: Vec<Vec<String>> = match command {
                    Command::Shell(t) => split_shell(t),
                    Command::Exec(a) => vec![a.clone()],
                };
                simple.extend(heredocs.iter().flat_map(|h| split_shell(h)));
                for words in simple {
                    let Some(c) = command_of(&words, &mut exported, go_env.as_deref(), &workdir) else {
                        continue;
                    };
                    if c.name() == "go"
                        && c.args().first().is_some_and(|a| a == "env")
                        && c.args().iter().any(|a| a == "-w")
                        && let Some(v) = c.args().iter().find_map(|a| a.strip_prefix("CGO_ENABLED="))
                    {
                        go_env = Some(v.to_string());
                    }
                    out.push(c);
                }
            }
            _ => {}
        }
    }
    out
}

/// The command of one simple command's `words`, or `None` for an
/// assignment or `export` alone (which sets `exported`: a plain
/// assignment only changes a variable already in the environment).
fn command_of(
    words: &[String],
    exported: &mut Option<String>,
    go_env: Option<&str>,
    workdir: &str,
) -> Option<RunCommand> {
    let value = |w: &str| w.strip_prefix("CGO_ENABLED=").map(unquote);
    if words.first().is_some_and(|w| w == "export") {
        if let Some(v) = words.iter().find_map(|w| value(w)) {
            *exported = Some(v);
        }
        return None;
    }
    let mut own: Option<String> = None;
    let mut at = 0;
    while let Some(w) = words.get(at) {
        if is_assignment(w) {
            own = value(w).or(own);
        } else if !BEFORE.contains(&w.as_str()) {
            break;
        }
        at += 1;
    }
    if at == words.len() {
        // Assignments alone: the shell's variables.
        if exported.is_some()
            && let Some(v) = own
        {
            *exported = Some(v);
        }
        return None;
    }
    Some(RunCommand {
        words: words[at..].iter().map(|w| unquote(w)).collect(),
        cgo: own.or_else(|| exported.clone()).or_else(|| go_env.map(str::to_string)),
        workdir: workdir.to_string(),
    })
}

/// `NAME=value`, a shell variable assignment.
fn is_assignment(w: &str) -> bool {
    w.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// A word with its quotes removed (`'-static'` is `-static`,
/// `"CGO_ENABLED=0"` is `CGO_ENABLED=0`).
fn unquote(w: &str) -> String {
    w.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

/// The simple commands of a shell text, each as its words.
fn split_shell(text: &str) -> Vec<Vec<String>> {
    text.split(['\n', ';', '&', '|', '(', ')'])
        .map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(text: &str, cgo: Option<&str>) -> Vec<(String, Option<String>, Option<String>)> {
        let mut exported = cgo.map(str::to_string);
        split_shell(text)
            .iter()
            .filter_map(|w| command_of(w, &mut exported, None, "/src"))
            .map(|c| (c.words.join(" "), c.cgo.clone(), c.output()))
            .collect()
    }

    #[test]
    fn each_command_sees_its_own_cgo_enabled() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            commands(
                "CGO_ENABLED=0 go build -o /out/server . && go build -o helper ./cmd/helper",
                None
            ),
            [
                ("go build -o /out/server .".into(), s("0"), s("/out/server")),
                ("go build -o helper ./cmd/helper".into(), None, s("/src/helper")),
            ]
        );
        // An echo's argument is no assignment; the ENV's value holds.
        assert_eq!(
            commands("echo CGO_ENABLED=0 && go build -o=/app .", s("1").as_deref())[1],
            ("go build -o=/app .".into(), s("1"), s("/app"))
        );
        // export, and a plain assignment to a variable the ENV exported.
        assert_eq!(commands("export CGO_ENABLED=0; go build", None)[0].1, s("0"));
        assert_eq!(commands("CGO_ENABLED=0; go build", None)[0].1, None);
        assert_eq!(commands("CGO_ENABLED=0; go build", Some("1"))[0].1, s("0"));
        assert_eq!(commands("env CGO_ENABLED=\"0\" go build -o /a", None)[0].1, s("0"));
        assert_eq!(commands("gcc -static -o/hello main.c", None)[0].2, s("/hello"));
    }
}
