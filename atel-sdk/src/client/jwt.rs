//! Tinybird JWTs: read access to pipes and datasources for a browser or an end user, signed locally
//! (HS256) with the workspace's admin token, never stored in Tinybird.
//!
//! The claims are Tinybird's: `workspace_id`, `name`, `exp`, `scopes` (`PIPES:READ` with
//! `fixed_params` the caller cannot override, `DATASOURCES:READ` with a row `filter`) and `limits.rps`.
//!
//! ```
//! use atel_sdk::client::Jwt;
//! use chrono::{Duration, Utc};
//!
//! let token = Jwt::new("00000000-0000-0000-0000-000000000001", "user_42_dashboard")
//!     .expires_at(Utc::now() + Duration::hours(1))
//!     .pipe_read("top_pages", [("user_id", serde_json::json!(42))])
//!     .rps(10)
//!     .sign("p.admin-token")
//!     .unwrap();
//! assert_eq!(token.split('.').count(), 3);
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::TinybirdClient;
use crate::error::{Error, Result};
use crate::resource::Pipe;

/// A scope of a Tinybird JWT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JwtScope {
    /// `PIPES:READ` or `DATASOURCES:READ`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The pipe or datasource name.
    pub resource: String,
    /// For a pipe: params fixed to these values, whatever the request says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_params: Option<Map<String, Value>>,
    /// For a datasource: a SQL condition every row read must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// `limits` of a Tinybird JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtLimits {
    /// Requests per second allowed with this token.
    pub rps: u32,
}

/// The claims of a Tinybird JWT, as signed and as [`Jwt::decode`] reads them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JwtClaims {
    /// The workspace's id (a UUID).
    pub workspace_id: String,
    /// A name for the token, shown in Tinybird's stats; need not be unique.
    pub name: String,
    /// Expiry, Unix seconds (UTC); Tinybird answers 403 after it.
    pub exp: i64,
    /// What it may read.
    pub scopes: Vec<JwtScope>,
    /// Rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<JwtLimits>,
}

/// Builds and signs a Tinybird JWT. The default expiry is one hour from when it is built.
#[derive(Debug, Clone)]
#[must_use]
pub struct Jwt {
    claims: JwtClaims,
}

/// How long a JWT is valid unless [`Jwt::expires_at`] says otherwise: a browser session's hour.
pub const DEFAULT_JWT_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

impl Jwt {
    /// A token for workspace `workspace_id` (see [`TinybirdClient::workspace_id`]) named `name`,
    /// with no scopes yet.
    pub fn new(workspace_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            claims: JwtClaims {
                workspace_id: workspace_id.into(),
                name: name.into(),
                exp: (Utc::now() + DEFAULT_JWT_LIFETIME).timestamp(),
                scopes: Vec::new(),
                limits: None,
            },
        }
    }

    /// When it expires.
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.claims.exp = at.timestamp();
        self
    }

    /// Read access to pipe `name`'s endpoint, with `fixed_params` (maybe none) forced.
    pub fn pipe_read<K: Into<String>>(
        mut self,
        name: impl Into<String>,
        fixed_params: impl IntoIterator<Item = (K, Value)>,
    ) -> Self {
        let fixed: Map<String, Value> = fixed_params
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect();
        self.claims.scopes.push(JwtScope {
            kind: "PIPES:READ".into(),
            resource: name.into(),
            fixed_params: (!fixed.is_empty()).then_some(fixed),
            filter: None,
        });
        self
    }

    /// Read access to pipe `P`, its params fixed to `params` (the ones that are set).
    pub fn pipe<P: Pipe>(self, params: &P) -> Self {
        let fixed = params
            .params()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)));
        self.pipe_read(P::NAME, fixed)
    }

    /// Read access to datasource `name`, only to rows matching `filter` when given.
    pub fn datasource_read(mut self, name: impl Into<String>, filter: Option<&str>) -> Self {
        self.claims.scopes.push(JwtScope {
            kind: "DATASOURCES:READ".into(),
            resource: name.into(),
            fixed_params: None,
            filter: filter.map(str::to_owned),
        });
        self
    }

    /// At most `rps` requests per second with this token.
    pub fn rps(mut self, rps: u32) -> Self {
        self.claims.limits = Some(JwtLimits { rps });
        self
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> &JwtClaims {
        &self.claims
    }

    /// Signs it (HS256) with `signing_key`, the workspace's admin token.
    pub fn sign(&self, signing_key: &str) -> Result<String> {
        if self.claims.scopes.is_empty() {
            return Err(Error::Config(
                "a Tinybird JWT needs at least one scope".into(),
            ));
        }
        if signing_key.trim().is_empty() {
            return Err(Error::Config("the JWT signing key is empty".into()));
        }
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &self.claims,
            &jsonwebtoken::EncodingKey::from_secret(signing_key.as_bytes()),
        )
        .map_err(|e| Error::Encode(Box::new(e)))
    }

    /// Verifies `token`'s signature with `signing_key` and its expiry, and returns its claims.
    pub fn decode(token: &str, signing_key: &str) -> Result<JwtClaims> {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<JwtClaims>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(signing_key.as_bytes()),
            &validation,
        )
        .map(|data| data.claims)
        .map_err(|e| Error::Config(format!("not a valid Tinybird JWT for this key: {e}")))
    }
}

/// A static token as `GET /v0/tokens` lists it (without its value).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    /// The token's name.
    pub name: String,
    /// Its id, when given.
    #[serde(default)]
    pub id: Option<String>,
    /// Its scopes, as `TYPE` or `TYPE:resource`.
    #[serde(default, deserialize_with = "scope_names")]
    pub scopes: Vec<String>,
}

fn scope_names<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct Scope {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        resource: Option<String>,
    }
    Ok(Option::<Vec<Scope>>::deserialize(de)?
        .unwrap_or_default()
        .into_iter()
        .map(|s| match s.resource {
            Some(resource) if !resource.is_empty() => format!("{}:{resource}", s.kind),
            _ => s.kind,
        })
        .collect())
}

impl TinybirdClient {
    /// The id of the workspace the client's token belongs to (`GET /v1/workspace`), for
    /// [`Jwt::new`].
    pub async fn workspace_id(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Workspace {
            id: String,
        }
        let url = self.url("/v1/workspace");
        let reply = self
            .send("GET", "/v1/workspace", |http| http.get(&url))
            .await?;
        serde_json::from_slice::<Workspace>(&reply.body)
            .map(|w| w.id)
            .map_err(|e| super::datasources::decode_error("the workspace", &reply.body, e))
    }

    /// The workspace's static tokens (`GET /v0/tokens`): names and scopes; the values are never
    /// kept.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        #[derive(Deserialize)]
        struct List {
            tokens: Vec<TokenInfo>,
        }
        let url = self.url("/v0/tokens");
        let reply = self
            .send("GET", "/v0/tokens", |http| http.get(&url))
            .await?;
        serde_json::from_slice::<List>(&reply.body)
            .map(|l| l.tokens)
            .map_err(|e| super::datasources::decode_error("the token list", &reply.body, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_has_tinybirds_claims_and_verifies() {
        let at = DateTime::from_timestamp(4_102_444_800, 0).unwrap(); // 2100-01-01
        let jwt = Jwt::new("ws-1", "frontend")
            .expires_at(at)
            .pipe_read("top_pages", [("org_id", Value::from("acme"))])
            .datasource_read("events", Some("org_id = 'acme'"))
            .rps(5);
        let token = jwt.sign("p.key").unwrap();

        // The payload, read independently of the JWT crate: base64url JSON.
        let payload = token.split('.').nth(1).unwrap();
        let json: Value = serde_json::from_slice(&base64url(payload)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "workspace_id": "ws-1",
                "name": "frontend",
                "exp": 4_102_444_800_i64,
                "scopes": [
                    {"type": "PIPES:READ", "resource": "top_pages", "fixed_params": {"org_id": "acme"}},
                    {"type": "DATASOURCES:READ", "resource": "events", "filter": "org_id = 'acme'"}
                ],
                "limits": {"rps": 5}
            })
        );
        let header: Value =
            serde_json::from_slice(&base64url(token.split('.').next().unwrap())).unwrap();
        assert_eq!(header["alg"], "HS256");

        assert_eq!(&Jwt::decode(&token, "p.key").unwrap(), jwt.claims());
        assert!(Jwt::decode(&token, "p.other").is_err());
        let expired = Jwt::new("ws-1", "old")
            .expires_at(Utc::now() - chrono::Duration::minutes(1))
            .pipe_read("p", std::iter::empty::<(String, Value)>())
            .sign("p.key")
            .unwrap();
        assert!(Jwt::decode(&expired, "p.key").is_err());
        assert!(matches!(
            Jwt::new("ws-1", "none").sign("p.key"),
            Err(Error::Config(_))
        ));
    }

    /// A base64url decoder without padding, written out (RFC 4648 §5), to check the crate's output.
    fn base64url(text: &str) -> Vec<u8> {
        let value = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        };
        let (mut out, mut acc, mut bits) = (Vec::new(), 0_u32, 0);
        for c in text.bytes() {
            acc = (acc << 6) | u32::from(value(c));
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
            }
        }
        out
    }
}
