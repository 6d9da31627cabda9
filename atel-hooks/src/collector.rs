//! `atel-hooks install --otel --collector FILE`: an OpenTelemetry Collector configuration for users
//! who run `otelcol-contrib` (v0.131.0 or later) instead of atel's receiver.
//!
//! The collector receives Claude Code's OTLP/HTTP on the same address atel's receiver would, and its
//! `tinybird` exporter writes the same rows into the same `otel_*` datasources (the names of
//! Tinybird's `OTel` template), so the pipes and `atel-hooks report` read either route alike. The token and the
//! API host are references to the environment (`${env:TINYBIRD_TOKEN}`, `${env:TINYBIRD_URL}`): the
//! file holds no secret.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::Path;

/// The first line of every file this writes: a file starting otherwise is the user's and is never
/// overwritten.
const HEADER: &str = "# Written by `atel-hooks install --otel --collector`";

/// The datasource of each signal, as the exporter's config keys spell them.
const DATASOURCES: &[(&str, &str)] = &[
    ("sum", "otel_metrics_sum"),
    ("gauge", "otel_metrics_gauge"),
    ("histogram", "otel_metrics_histogram"),
    (
        "exponential_histogram",
        "otel_metrics_exponential_histogram",
    ),
];

/// The configuration text: an OTLP/HTTP receiver on `listen`, a batch processor, the `tinybird`
/// exporter, and one pipeline per signal.
pub(crate) fn config_text(listen: SocketAddr) -> String {
    let mut metrics = String::new();
    for (key, datasource) in DATASOURCES {
        let _ = write!(metrics, "      {key}:\n        datasource: {datasource}\n");
    }
    format!(
        "{HEADER}: Claude Code's telemetry into Tinybird
# through the OpenTelemetry Collector's `tinybird` exporter (otelcol-contrib >= v0.131.0).
# Run it with the token and API host in the environment, e.g.
#   TINYBIRD_URL=https://api.tinybird.co TINYBIRD_TOKEN=... otelcol-contrib --config <this file>
# The token needs APPEND on the otel_* datasources (`atel-hooks deploy tinybird` creates them).
# Claude Code sends no prompt, response or tool content unless OTEL_LOG_* asks it to; this
# configuration forwards what it receives as it is.
receivers:
  otlp:
    protocols:
      http:
        endpoint: {listen}
processors:
  batch:
    timeout: 1s
exporters:
  tinybird:
    endpoint: ${{env:TINYBIRD_URL}}
    token: ${{env:TINYBIRD_TOKEN}}
    metrics:
{metrics}    traces:
      datasource: otel_traces
    logs:
      datasource: otel_logs
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [tinybird]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [tinybird]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [tinybird]
"
    )
}

/// Writes [`config_text`] to `path`, unless a file there was not written by this tool. `Ok(false)`:
/// the file already said exactly that.
pub(crate) fn write_config(path: &Path, listen: SocketAddr) -> Result<bool, String> {
    let text = config_text(listen);
    match fs::read_to_string(path) {
        Ok(have) if have == text => return Ok(false),
        Ok(have) if !have.starts_with(HEADER) => {
            return Err(format!(
                "{} exists and was not written by atel-hooks; not touching it",
                path.display()
            ));
        }
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_every_datasource_and_holds_no_secret() {
        let text = config_text("127.0.0.1:4318".parse().unwrap());
        assert!(text.starts_with(HEADER));
        assert!(text.contains("      http:\n        endpoint: 127.0.0.1:4318\n"));
        assert!(text.contains("    token: ${env:TINYBIRD_TOKEN}\n"));
        assert!(text.contains(
            "    metrics:\n      sum:\n        datasource: otel_metrics_sum\n      gauge:\n        datasource: otel_metrics_gauge\n"
        ));
        assert!(text.contains(
            "      exponential_histogram:\n        datasource: otel_metrics_exponential_histogram\n    traces:\n      datasource: otel_traces\n    logs:\n      datasource: otel_logs\n"
        ));
        assert_eq!(text.matches("exporters: [tinybird]").count(), 3);
        assert!(!text.contains('\t'));
    }

    #[test]
    fn a_users_file_is_never_overwritten_and_ours_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("otelcol.yaml");
        let addr = "127.0.0.1:4318".parse().unwrap();
        assert!(write_config(&path, addr).unwrap());
        assert!(!write_config(&path, addr).unwrap());
        assert!(write_config(&path, "127.0.0.1:4319".parse().unwrap()).unwrap());
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .contains("127.0.0.1:4319")
        );
        fs::write(&path, "receivers: {}\n").unwrap();
        let err = write_config(&path, addr).unwrap_err();
        assert!(err.contains("was not written by atel-hooks"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "receivers: {}\n");
    }
}
