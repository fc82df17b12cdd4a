//! SARIF 2.1.0 (`--format sarif`), the format code-scanning tools read
//! (GitHub code scanning, GitLab, Azure DevOps): one run whose driver lists
//! every rule of [`crate::gate::rules`] (id, short and full description,
//! help link into README.md, default level), and one result per
//! [`Finding`], located at the input (and for a Dockerfile, the line).
//! Written with the `serde-sarif` types; checked in tests against the
//! official SARIF 2.1.0 JSON Schema (testdata/schemas/).

use std::collections::BTreeMap;
use std::io::{self, Write};

use percent_encoding::{AsciiSet, CONTROLS, percent_encode};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::gate::{Finding, Level, RuleInfo, rules};

/// The SARIF schema the document names.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A path as shown (see [`crate::text`]) as a URI reference: its bytes
/// percent-encoded (a name that is not UTF-8 keeps its bytes), and `./`
/// before a first segment with a `:`, which would read as a scheme
/// (RFC 3986, 4.2).
fn uri(path: &str) -> String {
    let bytes = crate::text::to_bytes(path).unwrap_or_else(|| path.as_bytes().to_vec());
    let encoded = percent_encode(&bytes, URI_KEEP).to_string();
    let first = encoded.split('/').next().unwrap_or_default();
    if first.contains(':') {
        format!("./{encoded}")
    } else {
        encoded
    }
}

/// Characters a path keeps as they are in a URI reference: RFC 3986's
/// unreserved characters, `/` and `:` (`docker:myapp:dev`).
const URI_KEEP: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Write the findings of a run that exited with `exit_code` as one SARIF
/// log.
pub fn sarif(findings: &[Finding], exit_code: u8, w: &mut dyn Write) -> io::Result<()> {
    let all = rules();
    let index: BTreeMap<&str, usize> = all.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let results: Vec<SarifResult> = findings.iter().map(|f| result(f, index.get(f.rule.as_str()))).collect();
    let driver = ToolComponent::builder()
        .name("dlcheck")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(crate::gate::rules::README_URL)
        .rules(all.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let invocation = Invocation::builder()
        .execution_successful(true)
        .exit_code(i64::from(exit_code))
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *w, &log).map_err(io::Error::other)?;
    writeln!(w)
}

fn level(l: Level) -> ResultLevel {
    match l {
        Level::Error => ResultLevel::Error,
        Level::Warning => ResultLevel::Warning,
        Level::Note => ResultLevel::Note,
    }
}

fn descriptor(r: &RuleInfo) -> ReportingDescriptor {
    let text = |t: &str| MultiformatMessageString::builder().text(t).build();
    ReportingDescriptor::builder()
        .id(r.id.clone())
        .short_description(text(r.short))
        .full_description(text(r.full))
        .help_uri(r.help_uri())
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::to_value(level(r.level)).unwrap_or_default())
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: Option<&usize>) -> SarifResult {
    let text = match &f.fix {
        Some(fix) => format!("{} Fix: {fix}", f.message),
        None => f.message.clone(),
    };
    let mut region = None;
    if let Some(line) = f.line {
        let r = Region::builder().start_line(line as i64);
        region = Some(match f.column {
            Some(c) => r.start_column(c as i64).build(),
            None => r.build(),
        });
    }
    let artifact = ArtifactLocation::builder().uri(uri(&f.path)).build();
    let physical = match region {
        Some(region) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(region)
            .build(),
        None => PhysicalLocation::builder().artifact_location(artifact).build(),
    };
    let location = Location::builder().physical_location(physical).build();
    let builder = SarifResult::builder()
        .rule_id(f.rule.clone())
        .level(level(f.level))
        .message(Message::builder().text(text).build())
        .locations(vec![location]);
    match rule_index {
        Some(&i) => builder.rule_index(i as i64).build(),
        None => builder.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::uri;

    /// RFC 3986: the bytes of a name percent-encoded, a colon in the
    /// first segment behind `./`, what a path may hold kept.
    #[test]
    fn uris_of_paths() {
        assert_eq!(uri("testdata/bin/c-static"), "testdata/bin/c-static");
        assert_eq!(uri("/work/a b/x%y#z?q"), "/work/a%20b/x%25y%23z%3Fq");
        // text::from_bytes shows the bytes 0xff 0xfe as \xff\xfe.
        assert_eq!(uri("dir/\\xff\\xfe"), "dir/%FF%FE");
        assert_eq!(uri("app:v1"), "./app:v1");
        assert_eq!(uri("dir/app:v1"), "dir/app:v1");
        assert_eq!(uri("ü"), "%C3%BC");
    }
}
