//! Serde's `rename_all` rules applied to field names, and the default datasource name of a struct.

/// One of serde's case conventions, as `#[serde(rename_all = "...")]` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    /// The rule serde knows by this name; `None` for a name serde rejects (serde reports it).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    /// The key serde writes for a field named `field` (a `snake_case` Rust name), exactly as serde does.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Pascal => {
                let mut pascal = String::with_capacity(field.len());
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            Self::Camel => {
                let pascal = Self::Pascal.apply_to_field(field);
                let mut chars = pascal.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => Self::ScreamingSnake.apply_to_field(field).replace('_', "-"),
        }
    }
}

impl RenameRule {
    /// The name serde writes for a variant named `variant` (a `PascalCase` Rust name), exactly as
    /// serde does.
    pub(crate) fn apply_to_variant(self, variant: &str) -> String {
        match self {
            Self::Pascal => variant.to_owned(),
            Self::Lower => variant.to_ascii_lowercase(),
            Self::Upper => variant.to_ascii_uppercase(),
            Self::Camel => {
                let mut chars = variant.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            Self::Snake => {
                let mut snake = String::with_capacity(variant.len() + 4);
                for (i, ch) in variant.char_indices() {
                    if i > 0 && ch.is_uppercase() {
                        snake.push('_');
                    }
                    snake.push(ch.to_ascii_lowercase());
                }
                snake
            }
            Self::ScreamingSnake => Self::Snake.apply_to_variant(variant).to_ascii_uppercase(),
            Self::Kebab => Self::Snake.apply_to_variant(variant).replace('_', "-"),
            Self::ScreamingKebab => Self::ScreamingSnake
                .apply_to_variant(variant)
                .replace('_', "-"),
        }
    }
}

/// `AgentActivation` → `agent_activation`, `HTTPRequest` → `http_request`.
pub(crate) fn to_snake_case(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut snake = String::with_capacity(ident.len() + 4);
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            if prev != '_'
                && (prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && next_is_lower))
            {
                snake.push('_');
            }
        }
        snake.extend(ch.to_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_serde() {
        let field = "cache_read_tokens";
        let cases = [
            ("lowercase", "cache_read_tokens"),
            ("UPPERCASE", "CACHE_READ_TOKENS"),
            ("PascalCase", "CacheReadTokens"),
            ("camelCase", "cacheReadTokens"),
            ("snake_case", "cache_read_tokens"),
            ("SCREAMING_SNAKE_CASE", "CACHE_READ_TOKENS"),
            ("kebab-case", "cache-read-tokens"),
            ("SCREAMING-KEBAB-CASE", "CACHE-READ-TOKENS"),
        ];
        for (rule, expected) in cases {
            let rule = RenameRule::from_name(rule).unwrap();
            assert_eq!(rule.apply_to_field(field), expected, "{rule:?}");
        }
        assert_eq!(RenameRule::from_name("Camel"), None);
    }

    #[test]
    fn variant_rules_match_serde() {
        let variant = "PendingPayment";
        let cases = [
            ("lowercase", "pendingpayment"),
            ("UPPERCASE", "PENDINGPAYMENT"),
            ("PascalCase", "PendingPayment"),
            ("camelCase", "pendingPayment"),
            ("snake_case", "pending_payment"),
            ("SCREAMING_SNAKE_CASE", "PENDING_PAYMENT"),
            ("kebab-case", "pending-payment"),
            ("SCREAMING-KEBAB-CASE", "PENDING-PAYMENT"),
        ];
        for (rule, expected) in cases {
            let rule = RenameRule::from_name(rule).unwrap();
            assert_eq!(rule.apply_to_variant(variant), expected, "{rule:?}");
        }
    }

    #[test]
    fn struct_names_become_snake_case() {
        assert_eq!(to_snake_case("AgentActivation"), "agent_activation");
        assert_eq!(to_snake_case("HTTPRequest"), "http_request");
        assert_eq!(to_snake_case("Events2024"), "events2024");
        assert_eq!(to_snake_case("Api2Request"), "api2_request");
        assert_eq!(to_snake_case("already_snake"), "already_snake");
        assert_eq!(to_snake_case("Row"), "row");
    }
}
