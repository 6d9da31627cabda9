//! Tokens of the Python expressions inside Tinybird's `{{ … }}` and `{% … %}`, just enough to find calls,
//! names and literal arguments.

/// One token of a template expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name or keyword.
    Ident(String),
    /// A string literal: its value, with escapes resolved.
    Str(String),
    /// A number literal, as written.
    Num(String),
    /// Punctuation or an operator: `(`, `,`, `=`, `==`, `.`, `-`, ….
    Punct(&'static str),
}

impl Tok {
    pub(crate) fn is_punct(&self, punct: &str) -> bool {
        matches!(self, Self::Punct(p) if *p == punct)
    }

    pub(crate) fn ident(&self) -> Option<&str> {
        match self {
            Self::Ident(name) => Some(name),
            _ => None,
        }
    }
}

const PUNCTS: &[&str] = &[
    "**", "//", "==", "!=", "<=", ">=", "->", ":=", "<<", ">>", "(", ")", "[", "]", "{", "}", ",",
    "=", ".", ":", "+", "-", "*", "/", "%", "<", ">", "|", "&", "^", "~", "@", ";", "!",
];

/// Splits a Python expression into tokens; an unterminated string is an error.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() || c == '\\' {
            i += 1;
        } else if c == '#' {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '\'' || c == '"' {
            let (value, next) = string(&chars, i)?;
            tokens.push(Tok::Str(value));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while let Some(&c) = chars.get(i) {
                let exponent_sign = matches!(c, '+' | '-')
                    && i > start
                    && matches!(chars.get(i - 1), Some('e' | 'E'))
                    && !chars[start..i].iter().any(|c| matches!(c, 'x' | 'X'));
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            tokens.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|&c| c.is_alphanumeric() || c == '_')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let prefixed_string = matches!(chars.get(i), Some('\'' | '"'))
                && word.len() <= 2
                && word.chars().all(|c| "rRbBuUfF".contains(c));
            if prefixed_string {
                let (value, next) = string(&chars, i)?;
                tokens.push(Tok::Str(value));
                i = next;
            } else {
                tokens.push(Tok::Ident(word));
            }
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let punct = PUNCTS
                .iter()
                .find(|p| rest.starts_with(**p))
                .ok_or_else(|| format!("unexpected character `{c}`"))?;
            tokens.push(Tok::Punct(punct));
            i += punct.chars().count();
        }
    }
    Ok(tokens)
}

/// Reads a quoted string (single, double or triple quoted) starting at `start`; returns its value and
/// the index after it.
fn string(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let mut value = String::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated string literal".to_owned());
        };
        if c == '\\' {
            match chars.get(i + 1) {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(&other) => value.push(other),
                None => return Err("unterminated string literal".to_owned()),
            }
            i += 2;
        } else if c == quote
            && (!triple || (chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote)))
        {
            return Ok((value, i + if triple { 3 } else { 1 }));
        } else {
            value.push(c);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(name: &str) -> Tok {
        Tok::Ident(name.to_owned())
    }

    #[test]
    fn tokenizes_a_typed_call() {
        let tokens = tokenize("Int32(days, -7, description='a \\'b\\'')").unwrap();
        assert_eq!(
            tokens,
            [
                ident("Int32"),
                Tok::Punct("("),
                ident("days"),
                Tok::Punct(","),
                Tok::Punct("-"),
                Tok::Num("7".to_owned()),
                Tok::Punct(","),
                ident("description"),
                Tok::Punct("="),
                Tok::Str("a 'b'".to_owned()),
                Tok::Punct(")"),
            ]
        );
    }

    #[test]
    fn numbers_operators_and_prefixed_strings() {
        let tokens = tokenize("x >= 1.5e-3 and r\"a\" == .5").unwrap();
        assert_eq!(
            tokens,
            [
                ident("x"),
                Tok::Punct(">="),
                Tok::Num("1.5e-3".to_owned()),
                ident("and"),
                Tok::Str("a".to_owned()),
                Tok::Punct("=="),
                Tok::Num(".5".to_owned()),
            ]
        );
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert_eq!(
            tokenize("String(x, 'abc)").unwrap_err(),
            "unterminated string literal"
        );
        assert!(tokenize("x $ y").is_err());
    }
}
