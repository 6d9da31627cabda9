//! `.connection` files → functions returning [`crate::connection`] values.
//!
//! Only what the typed values can say is read: a Kafka connection's servers, protocol, SASL
//! mechanism, key and secret and schema registry; an S3 connection's region and role ARN. A
//! credential written as a literal is an error (the typed values take only `tb_secret` references),
//! and so is a setting they do not have, naming it.

use std::fmt::Write as _;

use super::read::ReadError;

/// A setting as written: plain text, or `{{ tb_secret("NAME"[, "default"]) }}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Text(String),
    Secret {
        name: String,
        default: Option<String>,
    },
}

/// A connection file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectionDef {
    Kafka {
        name: String,
        servers: Value,
        /// `SASL_SSL`, `SASL_PLAINTEXT` or `PLAINTEXT`.
        protocol: String,
        /// The mechanism's variant of `SaslMechanism`, the key and the secret.
        sasl: Option<(&'static str, Value, Value)>,
        registry: Option<Value>,
    },
    S3 {
        name: String,
        region: Value,
        arn: Value,
    },
}

const KAFKA_KEYS: &[&str] = &[
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_KEY",
    "KAFKA_SECRET",
    "KAFKA_SCHEMA_REGISTRY_URL",
];

const S3_KEYS: &[&str] = &["S3_ARN", "S3_REGION"];

/// Reads `connections/NAME.connection`.
pub(crate) fn read(file: &str, name: &str, text: &str) -> Result<ConnectionDef, ReadError> {
    let error = |line: usize, message: String| ReadError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut kind = None;
    // (key, value, line), in file order.
    let mut settings: Vec<(String, Value, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (key, rest) = trimmed
            .split_once(char::is_whitespace)
            .map_or((trimmed, ""), |(k, r)| (k, r.trim()));
        if key == "TYPE" {
            kind = Some((rest.to_ascii_lowercase(), line));
            continue;
        }
        if rest.is_empty() || rest == ">" {
            return Err(error(
                line,
                format!(
                    "`{key}` has no value on its line (a multi-line value has no typed setting)"
                ),
            ));
        }
        if settings.iter().any(|(seen, ..)| seen == key) {
            return Err(error(line, format!("`{key}` is set twice")));
        }
        settings.push((
            key.to_owned(),
            value(rest).map_err(|m| error(line, m))?,
            line,
        ));
    }
    let Some((kind, kind_line)) = kind else {
        return Err(error(1, "no `TYPE kafka` or `TYPE s3` line".to_owned()));
    };
    let known = match kind.as_str() {
        "kafka" => KAFKA_KEYS,
        "s3" => S3_KEYS,
        other => {
            return Err(error(
                kind_line,
                format!("`TYPE {other}` has no typed connection: `kafka` and `s3` do"),
            ));
        }
    };
    if let Some((key, _, line)) = settings
        .iter()
        .find(|(key, ..)| !known.contains(&key.as_str()))
    {
        return Err(error(
            *line,
            format!(
                "`{key}` is not a setting of the typed {kind} connection: it has {}",
                known.join(", ")
            ),
        ));
    }
    let mut take = |key: &str| {
        settings
            .iter()
            .position(|(k, ..)| k == key)
            .map(|at| settings.remove(at))
    };
    let required = |found: Option<(String, Value, usize)>, key: &str| {
        found
            .map(|(_, value, line)| (value, line))
            .ok_or_else(|| error(kind_line, format!("`{key}` is missing")))
    };
    let secret = |(value, line): (Value, usize), key: &str| match value {
        Value::Secret { .. } => Ok(value),
        Value::Text(_) => Err(error(
            line,
            format!(
                "`{key}` is a literal credential: store it as a workspace secret (`tb secret set \
                 NAME`) and write `{{{{ tb_secret(\"NAME\") }}}}`"
            ),
        )),
    };
    if kind == "s3" {
        let region = required(take("S3_REGION"), "S3_REGION")?.0;
        let arn = secret(required(take("S3_ARN"), "S3_ARN")?, "S3_ARN")?;
        return Ok(ConnectionDef::S3 {
            name: name.to_owned(),
            region,
            arn,
        });
    }
    let servers = required(take("KAFKA_BOOTSTRAP_SERVERS"), "KAFKA_BOOTSTRAP_SERVERS")?.0;
    // (protocol, its line, whether it is Tinybird's default for a missing one).
    let (protocol, protocol_line, defaulted) = match take("KAFKA_SECURITY_PROTOCOL") {
        Some((_, Value::Text(protocol), line)) => (protocol, line, false),
        Some((_, Value::Secret { .. }, line)) => {
            return Err(error(
                line,
                "`KAFKA_SECURITY_PROTOCOL` cannot be a secret".to_owned(),
            ));
        }
        None => ("SASL_SSL".to_owned(), kind_line, true),
    };
    let mechanism = take("KAFKA_SASL_MECHANISM");
    let key = take("KAFKA_KEY");
    let secret_value = take("KAFKA_SECRET");
    let registry = take("KAFKA_SCHEMA_REGISTRY_URL").map(|(_, value, _)| value);
    let sasl = match protocol.as_str() {
        "PLAINTEXT" => {
            if let Some((key, _, line)) =
                [mechanism, key, secret_value].into_iter().flatten().next()
            {
                return Err(error(
                    line,
                    format!(
                        "`{key}` with `PLAINTEXT`: no SASL without `SASL_SSL` or `SASL_PLAINTEXT`"
                    ),
                ));
            }
            None
        }
        "SASL_SSL" | "SASL_PLAINTEXT" => {
            let mechanism = match mechanism {
                None => "Plain",
                Some((_, Value::Text(text), line)) => match text.as_str() {
                    "PLAIN" => "Plain",
                    "SCRAM-SHA-256" => "ScramSha256",
                    "SCRAM-SHA-512" => "ScramSha512",
                    other => {
                        return Err(error(
                            line,
                            format!(
                                "`KAFKA_SASL_MECHANISM {other}` has no typed value: PLAIN, \
                                 SCRAM-SHA-256 and SCRAM-SHA-512 do"
                            ),
                        ));
                    }
                },
                Some((_, Value::Secret { .. }, line)) => {
                    return Err(error(
                        line,
                        "`KAFKA_SASL_MECHANISM` cannot be a secret".to_owned(),
                    ));
                }
            };
            if defaulted && key.is_none() && secret_value.is_none() {
                return Err(error(
                    kind_line,
                    "no `KAFKA_SECURITY_PROTOCOL`, which Tinybird takes as `SASL_SSL`, and no \
                     `KAFKA_KEY` / `KAFKA_SECRET` for it: write `KAFKA_SECURITY_PROTOCOL PLAINTEXT` \
                     for a cluster without authentication"
                        .to_owned(),
                ));
            }
            let key = secret(required(key, "KAFKA_KEY")?, "KAFKA_KEY")?;
            let secret_value = secret(required(secret_value, "KAFKA_SECRET")?, "KAFKA_SECRET")?;
            Some((mechanism, key, secret_value))
        }
        other => {
            return Err(error(
                protocol_line,
                format!(
                    "`KAFKA_SECURITY_PROTOCOL {other}`: expected SASL_SSL, SASL_PLAINTEXT or PLAINTEXT"
                ),
            ));
        }
    };
    Ok(ConnectionDef::Kafka {
        name: name.to_owned(),
        servers,
        protocol,
        sasl,
        registry,
    })
}

/// `{{ tb_secret("NAME"[, "default"]) }}` (either quote) or plain text; another template is an
/// error.
fn value(text: &str) -> Result<Value, String> {
    let Some(inner) = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) else {
        if text.contains("{{") || text.contains("{%") {
            return Err(format!(
                "`{text}`: only `{{{{ tb_secret(...) }}}}` templates are read"
            ));
        }
        return Ok(Value::Text(text.to_owned()));
    };
    let bad = || format!("`{text}`: expected `{{{{ tb_secret(\"NAME\"[, \"default\"]) }}}}`");
    let args = inner
        .trim()
        .strip_prefix("tb_secret")
        .map(str::trim_start)
        .and_then(|t| t.strip_prefix('('))
        .and_then(|t| t.trim_end().strip_suffix(')'))
        .ok_or_else(bad)?;
    let mut strings = Vec::new();
    let mut rest = args.trim();
    while !rest.is_empty() {
        let quote = rest
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(bad)?;
        let body = &rest[1..];
        let end = body.find(quote).ok_or_else(bad)?;
        let string = &body[..end];
        if string.contains('\\') {
            return Err(bad());
        }
        strings.push(string.to_owned());
        rest = body[end + 1..].trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
            if rest.is_empty() {
                return Err(bad());
            }
        } else if !rest.is_empty() {
            return Err(bad());
        }
    }
    match <[String; 1]>::try_from(strings.clone()) {
        Ok([name]) => Ok(Value::Secret {
            name,
            default: None,
        }),
        Err(_) => match <[String; 2]>::try_from(strings) {
            Ok([name, default]) => Ok(Value::Secret {
                name,
                default: Some(default),
            }),
            Err(_) => Err(bad()),
        },
    }
}

/// The Rust expression of `value`: a string literal, or `Secret::new(..)` / `Secret::with_default(..)`.
fn expr(value: &Value) -> String {
    match value {
        Value::Text(text) => format!("{text:?}"),
        Value::Secret {
            name,
            default: None,
        } => format!("Secret::new({name:?})"),
        Value::Secret {
            name,
            default: Some(default),
        } => format!("Secret::with_default({name:?}, {default:?})"),
    }
}

/// Writes `def` as `pub fn NAME() -> ...Connection`, named `ident`.
pub(crate) fn write(out: &mut String, def: &ConnectionDef, ident: &str) {
    let (name, ty) = match def {
        ConnectionDef::Kafka { name, .. } => (name, "KafkaConnection"),
        ConnectionDef::S3 { name, .. } => (name, "S3Connection"),
    };
    let _ = writeln!(
        out,
        "/// The `{name}` connection (`connections/{name}.connection`), for `Project::connection`."
    );
    // The builder chains are laid out one call a line, whatever rustfmt would make of their width.
    out.push_str("#[rustfmt::skip]\n");
    let _ = writeln!(out, "pub fn {ident}() -> atel_sdk::connection::{ty} {{");
    match def {
        ConnectionDef::Kafka {
            servers,
            protocol,
            sasl,
            registry,
            ..
        } => {
            let mechanism = sasl.as_ref().map(|(m, ..)| *m).filter(|m| *m != "Plain");
            let mut uses = vec!["KafkaConnection"];
            if mechanism.is_some() {
                uses.push("SaslMechanism");
            }
            if matches!(servers, Value::Secret { .. })
                || sasl.is_some()
                || matches!(registry, Some(Value::Secret { .. }))
            {
                uses.push("Secret");
            }
            if let [one] = uses.as_slice() {
                let _ = writeln!(out, "    use atel_sdk::connection::{one};");
            } else {
                let _ = writeln!(
                    out,
                    "    use atel_sdk::connection::{{{}}};",
                    uses.join(", ")
                );
            }
            let _ = writeln!(out, "    KafkaConnection::new({name:?}, {})", expr(servers));
            if let Some((_, key, secret)) = sasl {
                match mechanism {
                    None => {
                        let _ =
                            writeln!(out, "        .sasl_plain({}, {})", expr(key), expr(secret));
                    }
                    Some(mechanism) => {
                        let _ = writeln!(
                            out,
                            "        .sasl(SaslMechanism::{mechanism}, {}, {})",
                            expr(key),
                            expr(secret)
                        );
                    }
                }
                if protocol == "SASL_PLAINTEXT" {
                    out.push_str("        .without_tls()\n");
                }
            }
            if let Some(url) = registry {
                let _ = writeln!(out, "        .schema_registry_url({})", expr(url));
            }
        }
        ConnectionDef::S3 { region, arn, .. } => {
            let _ = writeln!(
                out,
                "    use atel_sdk::connection::{{S3Connection, Secret}};"
            );
            let _ = writeln!(
                out,
                "    S3Connection::new({name:?}, {}, {})",
                expr(region),
                expr(arn)
            );
        }
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(text: &str) -> Result<String, String> {
        let def = read("connections/c.connection", "c", text).map_err(|e| e.to_string())?;
        let mut out = String::new();
        write(&mut out, &def, "c");
        Ok(out)
    }

    #[test]
    fn kafka_and_s3_become_builders() {
        let kafka = generated(
            "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ tb_secret(\"SERVERS\", 'localhost:9092') }}\n\
             KAFKA_SECURITY_PROTOCOL SASL_PLAINTEXT\nKAFKA_SASL_MECHANISM SCRAM-SHA-256\n\
             KAFKA_KEY {{tb_secret('K')}}\nKAFKA_SECRET {{ tb_secret(\"S\") }}\n",
        )
        .unwrap();
        assert_eq!(
            kafka,
            "/// The `c` connection (`connections/c.connection`), for `Project::connection`.\n\
             #[rustfmt::skip]\n\
             pub fn c() -> atel_sdk::connection::KafkaConnection {\n    \
             use atel_sdk::connection::{KafkaConnection, SaslMechanism, Secret};\n    \
             KafkaConnection::new(\"c\", Secret::with_default(\"SERVERS\", \"localhost:9092\"))\n        \
             .sasl(SaslMechanism::ScramSha256, Secret::new(\"K\"), Secret::new(\"S\"))\n        \
             .without_tls()\n\
             }\n"
        );
        let s3 =
            generated("TYPE s3\nS3_REGION eu-west-1\nS3_ARN {{ tb_secret(\"ARN\") }}\n").unwrap();
        assert!(
            s3.contains("S3Connection::new(\"c\", \"eu-west-1\", Secret::new(\"ARN\"))"),
            "{s3}"
        );
    }

    #[test]
    fn what_the_typed_values_cannot_say_is_an_error_naming_the_line() {
        let err = |text: &str| generated(text).unwrap_err();
        assert_eq!(
            err(
                "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS h:9092\nKAFKA_KEY plainkey\nKAFKA_SECRET {{ tb_secret(\"S\") }}\n"
            ),
            "connections/c.connection:3: `KAFKA_KEY` is a literal credential: store it as a workspace \
             secret (`tb secret set NAME`) and write `{{ tb_secret(\"NAME\") }}`"
        );
        assert!(
            err("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS h\nKAFKA_SSL_CA_PEM x\n")
                .starts_with("connections/c.connection:3: `KAFKA_SSL_CA_PEM` is not a setting")
        );
        assert_eq!(
            err("TYPE gcs\n"),
            "connections/c.connection:1: `TYPE gcs` has no typed connection: `kafka` and `s3` do"
        );
        // Tinybird's default protocol is SASL_SSL, which needs the credentials.
        assert_eq!(
            err("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS h\n"),
            "connections/c.connection:1: no `KAFKA_SECURITY_PROTOCOL`, which Tinybird takes as \
             `SASL_SSL`, and no `KAFKA_KEY` / `KAFKA_SECRET` for it: write \
             `KAFKA_SECURITY_PROTOCOL PLAINTEXT` for a cluster without authentication"
        );
        assert_eq!(
            err("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS h\nKAFKA_SECRET {{ tb_secret('S') }}\n"),
            "connections/c.connection:1: `KAFKA_KEY` is missing"
        );
        assert!(
            err("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ secret('x') }}\n").contains("expected")
        );
        assert!(
            err("TYPE s3\nS3_REGION a\nS3_REGION b\nS3_ARN {{ tb_secret('A') }}\n")
                .contains(":3: `S3_REGION` is set twice")
        );
    }

    #[test]
    fn plaintext_kafka_has_no_secret_import() {
        let out = generated(
            "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS h:9092\nKAFKA_SECURITY_PROTOCOL PLAINTEXT\n",
        )
        .unwrap();
        assert!(
            out.contains("use atel_sdk::connection::KafkaConnection;"),
            "{out}"
        );
        assert!(
            out.contains("KafkaConnection::new(\"c\", \"h:9092\")\n}"),
            "{out}"
        );
    }
}
