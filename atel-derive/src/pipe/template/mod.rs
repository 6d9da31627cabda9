//! Finds the params a Tinybird SQL template reads, with their types and defaults.
//!
//! The grammar is Tornado's (`{{ expr }}`, `{% statement %}`, `{# comment #}`, `{{!` for a literal `{{`)
//! with Tinybird's functions, as in Tinybird's Python package: `tornado_template._parse` and
//! `sql_template.get_var_data`: `{{ Int32(days, 7) }}` is a param `days` of type `Int32` with default `7`;
//! `{{ Array(ids, 'UInt64') }}` one of type `Array(UInt64)`; a name anywhere else (`defined(x)`,
//! `column(x, 'a')`, `{{ x }}`) is an untyped use. `{% if defined(x) %}` guards its body.

mod lex;
pub(crate) mod names;

use std::collections::BTreeSet;

use self::lex::Tok;
use self::names::{TYPE_FUNCTIONS, UNANALYSED_TYPE_FUNCTIONS, is_template_name};

/// A literal written as a default in the SQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Int(String),
    Float(String),
    Str(String),
    Bool(bool),
}

impl Literal {
    /// The value as Tinybird's analysis reports it (Python's `str()` of the literal).
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Int(text) | Self::Float(text) | Self::Str(text) => text.clone(),
            Self::Bool(true) => "True".to_owned(),
            Self::Bool(false) => "False".to_owned(),
        }
    }

    /// The literal as SQL templates write it, for messages: `'opus'`, `7`, `True`.
    pub(crate) fn in_sql(&self) -> String {
        match self {
            Self::Str(text) => format!("'{text}'"),
            other => other.text(),
        }
    }

    /// The literal as Rust writes it, for messages: `"opus"`, `7`, `true`.
    pub(crate) fn in_rust(&self) -> String {
        match self {
            Self::Str(text) => format!("{text:?}"),
            Self::Bool(value) => value.to_string(),
            other => other.text(),
        }
    }
}

/// How a use reads the param.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// Through a type function: `ty` is `Int32`, or the element type of `Array(x, 'Int32')`.
    Typed { ty: String, array: bool },
    /// Anywhere else: `defined(x)`, `{{ x }}`, an argument of another function.
    Untyped,
}

/// One place the SQL reads a param.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Use {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// The default argument: `Some(Ok(literal))`, or `Some(Err(text))` when it is not a literal.
    pub(crate) default: Option<Result<Literal, String>>,
    /// `required=True`.
    pub(crate) required: bool,
    /// `description='...'`.
    pub(crate) description: Option<String>,
    /// Inside `{% if defined(name) %}` (or `defined=False` was passed): a missing value is fine.
    pub(crate) guarded: bool,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Whether the SQL has any template syntax (and so needs `%` as its first line).
    pub(crate) templated: bool,
    pub(crate) uses: Vec<Use>,
    /// Template syntax errors, as messages.
    pub(crate) errors: Vec<String>,
}

/// One open control block and the names it guards in its current branch.
#[derive(Default)]
struct Frame {
    guards: BTreeSet<String>,
    /// Names guarded in an `else` / later `elif` (from `not defined(x)` in earlier conditions).
    else_guards: BTreeSet<String>,
}

#[derive(Default)]
struct Scanner {
    scan: Scan,
    frames: Vec<Frame>,
    locals: BTreeSet<String>,
}

/// Scans one node's SQL.
pub(crate) fn scan(sql: &str) -> Scan {
    let mut scanner = Scanner::default();
    let mut rest = sql;
    while let Some(at) = next_tag(rest) {
        scanner.scan.templated = true;
        let open = &rest[at..at + 2];
        let after = &rest[at + 2..];
        if let Some(literal) = after.strip_prefix('!') {
            rest = literal;
            continue;
        }
        let close = match open {
            "{#" => "#}",
            "{{" => "}}",
            _ => "%}",
        };
        let Some(end) = after.find(close) else {
            scanner.error(format!("missing `{close}` after `{open}`"));
            break;
        };
        let contents = after[..end].trim();
        rest = &after[end + 2..];
        match open {
            "{{" if contents.is_empty() => scanner.error("empty expression `{{ }}`".to_owned()),
            "{{" => scanner.expression(contents),
            "{%" => scanner.statement(contents),
            _ => {}
        }
    }
    if !scanner.frames.is_empty() {
        scanner.error(
            "a `{% if %}`, `{% for %}` or `{% while %}` block has no `{% end %}`".to_owned(),
        );
    }
    let Scanner {
        mut scan, locals, ..
    } = scanner;
    scan.uses.retain(|u| !locals.contains(&u.name));
    scan
}

/// The byte offset of the next `{{`, `{%` or `{#`, taking the innermost of `{{{` as Tornado does.
fn next_tag(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#') {
            if bytes[i + 1] == b'{' && bytes.get(i + 2) == Some(&b'{') {
                i += 1;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

impl Scanner {
    fn error(&mut self, message: String) {
        self.scan.errors.push(message);
    }

    fn guarded(&self, name: &str) -> bool {
        self.frames.iter().any(|frame| frame.guards.contains(name))
    }

    fn tokens(&mut self, text: &str) -> Option<Vec<Tok>> {
        match lex::tokenize(text) {
            Ok(tokens) => Some(tokens),
            Err(message) => {
                self.error(format!("{message} in `{text}`"));
                None
            }
        }
    }

    fn expression(&mut self, text: &str) {
        if let Some(tokens) = self.tokens(text) {
            self.walk(&tokens);
        }
    }

    fn statement(&mut self, text: &str) {
        let (operator, suffix) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let suffix = suffix.trim();
        let Some(tokens) = self.tokens(suffix) else {
            return;
        };
        match operator {
            "if" => {
                let (guards, negated) = defined_names(&tokens);
                self.frames.push(Frame {
                    guards,
                    else_guards: negated,
                });
            }
            "elif" | "else" => {
                let Some(frame) = self.frames.last_mut() else {
                    return self.error(format!("`{{% {operator} %}}` outside an `if` block"));
                };
                frame.guards = frame.else_guards.clone();
                if operator == "elif" {
                    let (guards, negated) = defined_names(&tokens);
                    frame.guards.extend(guards);
                    frame.else_guards.extend(negated);
                }
            }
            "for" | "while" | "try" => {
                if operator == "for" {
                    self.bind_until(&tokens, "in");
                }
                self.frames.push(Frame::default());
            }
            "except" | "finally" if self.frames.is_empty() => {
                return self.error(format!("`{{% {operator} %}}` outside a `try` block"));
            }
            "except" => {
                if let Some(i) = tokens.iter().position(|t| t.ident() == Some("as")) {
                    self.bind_until(&tokens[i + 1..], "");
                }
                return;
            }
            "end" => {
                if self.frames.pop().is_none() {
                    self.error("extra `{% end %}`".to_owned());
                }
                return;
            }
            "set" => {
                self.bind_until(&tokens, "=");
                if let Some(i) = tokens.iter().position(|t| t.is_punct("=")) {
                    self.walk(&tokens[i + 1..]);
                }
                return;
            }
            _ => {}
        }
        if operator != "for" {
            self.walk(&tokens);
        } else if let Some(i) = tokens.iter().position(|t| t.ident() == Some("in")) {
            self.walk(&tokens[i + 1..]);
        }
    }

    /// Marks the names before `stop` (an ident or punct; `""` for all) as template locals.
    fn bind_until(&mut self, tokens: &[Tok], stop: &str) {
        for token in tokens {
            if token.ident() == Some(stop) || token.is_punct(stop) {
                break;
            }
            if let Some(name) = token.ident() {
                self.locals.insert(name.to_owned());
            }
        }
    }

    /// Records every param an expression reads.
    fn walk(&mut self, tokens: &[Tok]) {
        let mut i = 0;
        while let Some(token) = tokens.get(i) {
            let Some(name) = token.ident() else {
                i += 1;
                continue;
            };
            let after_dot = i > 0 && tokens[i - 1].is_punct(".");
            if tokens.get(i + 1).is_some_and(|t| t.is_punct("(")) {
                let end = closing(tokens, i + 1);
                let args = &tokens[i + 2..end.min(tokens.len())];
                if after_dot {
                    self.walk(args);
                } else {
                    self.call(name, args);
                }
                i = end + 1;
                continue;
            }
            if name == "for" || name == "lambda" {
                self.bind_until(&tokens[i + 1..], if name == "for" { "in" } else { ":" });
            } else if !after_dot && !is_template_name(name) {
                self.record(name, Kind::Untyped);
            }
            i += 1;
        }
    }

    fn call(&mut self, function: &str, args: &[Tok]) {
        let args = split_args(args);
        let positional: Vec<&[Tok]> = args.iter().filter(|a| a.0.is_none()).map(|a| a.1).collect();
        let param = positional.first().and_then(|first| match first {
            [Tok::Ident(name)] if !is_template_name(name) => Some(name.clone()),
            _ => None,
        });
        let typed = if function == "Array" {
            let element = match positional.get(1) {
                None => Ok("String".to_owned()),
                Some([Tok::Str(ty)]) if TYPE_FUNCTIONS.contains(&ty.as_str()) && ty != "JSON" => {
                    Ok(ty.clone())
                }
                Some(other) => Err(other),
            };
            match element {
                Ok(ty) => Some((Kind::Typed { ty, array: true }, 2)),
                Err(other) => {
                    self.error(format!(
                        "unknown `Array` element type `{}`: expected a quoted type like `'Int32'`",
                        render(other)
                    ));
                    None
                }
            }
        } else if TYPE_FUNCTIONS.contains(&function) {
            Some((
                Kind::Typed {
                    ty: function.to_owned(),
                    array: false,
                },
                1,
            ))
        } else {
            if let Some((_, instead)) = UNANALYSED_TYPE_FUNCTIONS.iter().find(|f| f.0 == function) {
                self.error(format!(
                    "`{function}(...)` is not one of Tinybird's param types (its param analysis does \
                     not see it): use {instead}"
                ));
            }
            None
        };
        let mut skip_first = false;
        if let (Some((kind, default_at)), Some(name)) = (typed, &param) {
            skip_first = true;
            let default = keyword(&args, "default")
                .or_else(|| positional.get(default_at).copied())
                .map(literal);
            let required = keyword(&args, "required").is_some_and(|v| v == [ident("True")]);
            let optional = keyword(&args, "defined").is_some_and(|v| v == [ident("False")]);
            let description = match keyword(&args, "description") {
                Some([Tok::Str(text)]) => Some(text.clone()),
                _ => None,
            };
            let index = self.record(name, kind);
            let used = &mut self.scan.uses[index];
            used.default = default;
            used.required = required;
            used.description = description;
            used.guarded |= optional;
        }
        for (i, (_, arg)) in args.iter().enumerate() {
            if !(skip_first && i == 0) {
                self.walk(arg);
            }
        }
    }

    fn record(&mut self, name: &str, kind: Kind) -> usize {
        let guarded = self.guarded(name);
        self.scan.uses.push(Use {
            name: name.to_owned(),
            kind,
            default: None,
            required: false,
            description: None,
            guarded,
        });
        self.scan.uses.len() - 1
    }
}

fn ident(name: &str) -> Tok {
    Tok::Ident(name.to_owned())
}

/// The index of the bracket closing the one at `open` (or the end of `tokens`).
fn closing(tokens: &[Tok], open: usize) -> usize {
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if ["(", "[", "{"].iter().any(|p| token.is_punct(p)) {
            depth += 1;
        } else if [")", "]", "}"].iter().any(|p| token.is_punct(p)) {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len()
}

/// Splits call arguments at top-level commas: `(keyword, value tokens)`.
fn split_args(tokens: &[Tok]) -> Vec<(Option<String>, &[Tok])> {
    let mut args = Vec::new();
    let mut start = 0;
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate() {
        if ["(", "[", "{"].iter().any(|p| token.is_punct(p)) {
            depth += 1;
        } else if [")", "]", "}"].iter().any(|p| token.is_punct(p)) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && token.is_punct(",") {
            args.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        args.push(&tokens[start..]);
    }
    args.into_iter()
        .map(|arg| match arg {
            [Tok::Ident(key), eq, value @ ..] if eq.is_punct("=") => (Some(key.clone()), value),
            _ => (None, arg),
        })
        .collect()
}

fn keyword<'a>(args: &[(Option<String>, &'a [Tok])], key: &str) -> Option<&'a [Tok]> {
    args.iter()
        .find(|(k, _)| k.as_deref() == Some(key))
        .map(|(_, value)| *value)
}

fn literal(tokens: &[Tok]) -> Result<Literal, String> {
    match tokens {
        [Tok::Str(text)] => Ok(Literal::Str(text.clone())),
        [Tok::Ident(word)] if word == "True" || word == "False" => {
            Ok(Literal::Bool(word == "True"))
        }
        [Tok::Num(number)] => Ok(number_literal(number, false)),
        [sign, Tok::Num(number)] if sign.is_punct("-") => Ok(number_literal(number, true)),
        _ => Err(render(tokens)),
    }
}

fn number_literal(number: &str, negative: bool) -> Literal {
    let sign = if negative { "-" } else { "" };
    let digits = number.replace('_', "");
    if digits.chars().all(|c| c.is_ascii_digit()) {
        let trimmed = digits.trim_start_matches('0');
        let digits = if trimmed.is_empty() { "0" } else { trimmed };
        let sign = if digits == "0" { "" } else { sign };
        Literal::Int(format!("{sign}{digits}"))
    } else {
        Literal::Float(format!("{sign}{digits}"))
    }
}

/// `defined(x)` names in an `if` condition: `(guarded in the body, guarded in the else branch)`.
/// Only a condition that is a chain of `and`s guards anything.
fn defined_names(tokens: &[Tok]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut positive = BTreeSet::new();
    let mut negative = BTreeSet::new();
    if tokens.iter().any(|t| t.ident() == Some("or")) {
        return (positive, negative);
    }
    for (i, window) in tokens.windows(4).enumerate() {
        if let [Tok::Ident(f), open, Tok::Ident(name), close] = window
            && f == "defined"
            && open.is_punct("(")
            && close.is_punct(")")
        {
            if i > 0 && tokens[i - 1].ident() == Some("not") {
                negative.insert(name.clone());
            } else {
                positive.insert(name.clone());
            }
        }
    }
    if negative.len() + positive.len() > 1 && !negative.is_empty() {
        // `not defined(a) and defined(b)`: the else branch knows nothing.
        negative.clear();
    }
    (positive, negative)
}

/// Tokens back to text, for messages.
fn render(tokens: &[Tok]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Tok::Ident(text) | Tok::Num(text) => {
                if out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    out.push(' ');
                }
                out.push_str(text);
            }
            Tok::Str(text) => {
                out.push('\'');
                out.push_str(text);
                out.push('\'');
            }
            Tok::Punct(p) => out.push_str(p),
        }
    }
    out
}

#[cfg(test)]
mod tests;
