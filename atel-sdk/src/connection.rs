//! Tinybird connections (`.connection` files) as typed values: Kafka and S3, rendered to the text
//! Tinybird's parser reads, and written by [`Project::connection`](crate::project::Project::connection)
//! into `connections/NAME.connection`.
//!
//! Credentials are never literals: a key, a secret or a role ARN is a [`Secret`], written as
//! `{{ tb_secret("NAME") }}`, which Tinybird fills from the workspace's secrets (`tb secret set NAME`)
//! at deploy time. Only settings that are not credentials (servers, region, protocol) may be plain
//! text, and they may be secrets too.
//!
//! ```
//! use atel_sdk::connection::{KafkaConnection, S3Connection, Secret};
//!
//! let kafka = KafkaConnection::new("events_kafka", Secret::with_default("KAFKA_SERVERS", "localhost:9092"))
//!     .sasl_plain(Secret::new("KAFKA_KEY"), Secret::new("KAFKA_SECRET"));
//! assert_eq!(
//!     kafka.datafile(),
//!     "TYPE kafka\n\
//!      KAFKA_BOOTSTRAP_SERVERS {{ tb_secret(\"KAFKA_SERVERS\", \"localhost:9092\") }}\n\
//!      KAFKA_SECURITY_PROTOCOL SASL_SSL\n\
//!      KAFKA_SASL_MECHANISM PLAIN\n\
//!      KAFKA_KEY {{ tb_secret(\"KAFKA_KEY\") }}\n\
//!      KAFKA_SECRET {{ tb_secret(\"KAFKA_SECRET\") }}\n"
//! );
//!
//! let s3 = S3Connection::new("exports_s3", "eu-west-1", Secret::new("S3_EXPORT_ROLE_ARN"));
//! assert_eq!(
//!     s3.datafile(),
//!     "TYPE s3\nS3_ARN {{ tb_secret(\"S3_EXPORT_ROLE_ARN\") }}\nS3_REGION eu-west-1\n"
//! );
//! ```

use std::fmt::{self, Write as _};

/// A workspace secret, written `{{ tb_secret("NAME") }}` (with an optional default for local runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    name: String,
    default: Option<String>,
}

impl Secret {
    /// The secret `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: None,
        }
    }

    /// The secret `name`, or `default` where it is not set (Tinybird Local).
    pub fn with_default(name: impl Into<String>, default: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: Some(default.into()),
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{ tb_secret({:?}", self.name)?;
        if let Some(default) = &self.default {
            write!(f, ", {default:?}")?;
        }
        f.write_str(") }}")
    }
}

/// A setting that is not a credential: plain text, or a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// Written as is.
    Text(String),
    /// `{{ tb_secret(...) }}`.
    Secret(Secret),
}

impl From<&str> for Setting {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Setting {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Secret> for Setting {
    fn from(secret: Secret) -> Self {
        Self::Secret(secret)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // One line: a line break would start another directive.
            Self::Text(text) => f.write_str(&crate::datafile::one_line(text)),
            Self::Secret(secret) => secret.fmt(f),
        }
    }
}

/// How a Kafka client authenticates (`KAFKA_SASL_MECHANISM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslMechanism {
    /// `PLAIN`: a key and a secret (Confluent Cloud's API keys).
    Plain,
    /// `SCRAM-SHA-256`.
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
}

impl SaslMechanism {
    /// The name Kafka uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// A Kafka cluster (`TYPE kafka`), for Kafka datasources and Kafka sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConnection {
    name: String,
    bootstrap_servers: Setting,
    security_protocol: Option<&'static str>,
    sasl: Option<(SaslMechanism, Secret, Secret)>,
    schema_registry_url: Option<Setting>,
}

impl KafkaConnection {
    /// The connection `name` (its file's name) to the brokers `bootstrap_servers`
    /// (`host:port[,host:port]`), without authentication (`PLAINTEXT`), until one is set.
    pub fn new(name: impl Into<String>, bootstrap_servers: impl Into<Setting>) -> Self {
        Self {
            name: name.into(),
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: None,
            sasl: None,
            schema_registry_url: None,
        }
    }

    /// SASL over TLS (`SASL_SSL`) with `PLAIN`: a key and a secret.
    #[must_use]
    pub fn sasl_plain(self, key: Secret, secret: Secret) -> Self {
        self.sasl(SaslMechanism::Plain, key, secret)
    }

    /// SASL over TLS (`SASL_SSL`) with `mechanism`.
    #[must_use]
    pub fn sasl(mut self, mechanism: SaslMechanism, key: Secret, secret: Secret) -> Self {
        self.security_protocol = Some("SASL_SSL");
        self.sasl = Some((mechanism, key, secret));
        self
    }

    /// SASL without TLS (`SASL_PLAINTEXT`), for a cluster inside your network.
    #[must_use]
    pub fn without_tls(mut self) -> Self {
        if self.sasl.is_some() {
            self.security_protocol = Some("SASL_PLAINTEXT");
        }
        self
    }

    /// A schema registry, for Avro or JSON-schema messages.
    #[must_use]
    pub fn schema_registry_url(mut self, url: impl Into<Setting>) -> Self {
        self.schema_registry_url = Some(url.into());
        self
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `.connection` text.
    pub fn datafile(&self) -> String {
        let mut out = String::from("TYPE kafka\n");
        let _ = writeln!(out, "KAFKA_BOOTSTRAP_SERVERS {}", self.bootstrap_servers);
        // Always written: Tinybird takes a missing protocol as `SASL_SSL`.
        let protocol = self.security_protocol.unwrap_or("PLAINTEXT");
        let _ = writeln!(out, "KAFKA_SECURITY_PROTOCOL {protocol}");
        if let Some((mechanism, key, secret)) = &self.sasl {
            let _ = writeln!(out, "KAFKA_SASL_MECHANISM {}", mechanism.as_str());
            let _ = writeln!(out, "KAFKA_KEY {key}");
            let _ = writeln!(out, "KAFKA_SECRET {secret}");
        }
        if let Some(url) = &self.schema_registry_url {
            let _ = writeln!(out, "KAFKA_SCHEMA_REGISTRY_URL {url}");
        }
        out
    }
}

/// An S3 bucket's access (`TYPE s3`): an IAM role Tinybird assumes, for S3 datasources and sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Connection {
    name: String,
    region: Setting,
    arn: Secret,
}

impl S3Connection {
    /// The connection `name` in `region` (`eu-west-1`), through the role `arn`.
    pub fn new(name: impl Into<String>, region: impl Into<Setting>, arn: Secret) -> Self {
        Self {
            name: name.into(),
            region: region.into(),
            arn,
        }
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `.connection` text.
    pub fn datafile(&self) -> String {
        // Tinybird's order (its formatter's and `tb create`'s): the role, then the region.
        format!("TYPE s3\nS3_ARN {}\nS3_REGION {}\n", self.arn, self.region)
    }
}

/// A connection of any kind, for [`Project::connection`](crate::project::Project::connection).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Connection {
    /// `TYPE kafka`.
    Kafka(KafkaConnection),
    /// `TYPE s3`.
    S3(S3Connection),
}

impl Connection {
    /// The connection's name: its file is `connections/NAME.connection`.
    pub fn name(&self) -> &str {
        match self {
            Self::Kafka(kafka) => kafka.name(),
            Self::S3(s3) => s3.name(),
        }
    }

    /// The `.connection` text.
    pub fn datafile(&self) -> String {
        match self {
            Self::Kafka(kafka) => kafka.datafile(),
            Self::S3(s3) => s3.datafile(),
        }
    }
}

impl From<KafkaConnection> for Connection {
    fn from(kafka: KafkaConnection) -> Self {
        Self::Kafka(kafka)
    }
}

impl From<S3Connection> for Connection {
    fn from(s3: S3Connection) -> Self {
        Self::S3(s3)
    }
}
