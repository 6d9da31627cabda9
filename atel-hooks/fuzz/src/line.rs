//! Structured transcript lines for the `transcript_line` fuzz target: the generated shape ([`Line`]),
//! its JSON text ([`render`]), and what an independent parser reads from that text ([`oracle`]).

pub mod oracle;
pub mod render;

use arbitrary::{Arbitrary, Result, Unstructured};

/// A transcript line, rendered as JSON text by [`render`].
#[derive(Arbitrary, Debug)]
pub struct Line {
    pub kind: Kind,
    pub timestamp: Field<Stamp>,
    pub request_id: Field<Text>,
    pub message: Field<Message>,
    /// Top-level fields no parser reads.
    pub extra: Vec<(Unknown, Json)>,
    /// Shuffles the fields.
    pub order: u64,
    /// Whitespace between tokens, used in turn.
    pub spaces: Vec<Space>,
    /// How many times the line is written (a response repeated once per content block): 1 to 3.
    pub copies: u8,
    /// End lines with `\r\n`.
    pub crlf: bool,
}

/// A field that may be missing, `null`, of its type, or of any other JSON value (weighted toward its
/// type, so that most lines get as far as the token counts).
#[derive(Debug)]
pub enum Field<T> {
    Absent,
    Null,
    Value(T),
    Wrong(Json),
}

/// The top-level `type` (`assistant` half of the time).
#[derive(Debug)]
pub enum Kind {
    Assistant,
    User,
    System,
    Attachment,
    Other(Text),
    NotString(Json),
    Absent,
}

#[derive(Arbitrary, Debug)]
pub struct Message {
    pub id: Field<Text>,
    pub model: Field<Model>,
    pub usage: Field<Usage>,
    /// Writes `"type":"message"` (a nested `type` key).
    pub typed: bool,
    pub content: Option<Json>,
    pub extra: Vec<(Unknown, Json)>,
    pub order: u64,
}

#[derive(Arbitrary, Debug)]
pub enum Model {
    Opus,
    Sonnet,
    Synthetic,
    Dated,
    Text(Text),
}

#[derive(Arbitrary, Debug)]
pub struct Usage {
    pub input_tokens: Field<Num>,
    pub output_tokens: Field<Num>,
    pub cache_read_input_tokens: Field<Num>,
    pub cache_creation_input_tokens: Field<Num>,
    pub cache_creation: Field<CacheCreation>,
    pub inference_geo: Field<Flag>,
    pub speed: Field<Flag>,
    pub extra: Vec<(Unknown, Json)>,
    pub order: u64,
}

#[derive(Arbitrary, Debug)]
pub struct CacheCreation {
    pub ephemeral_5m_input_tokens: Field<Num>,
    pub ephemeral_1h_input_tokens: Field<Num>,
    pub extra: Vec<(Unknown, Json)>,
    pub order: u64,
}

/// `inference_geo` / `speed` values: the ones that matter, in any case, or any text.
#[derive(Arbitrary, Debug)]
pub enum Flag {
    Us,
    UpperUs,
    Fast,
    UpperFast,
    Standard,
    Empty,
    Text(Text),
}

/// A number token, valid JSON or not (a `u64` four times in five).
#[derive(Debug)]
pub enum Num {
    Small(u8),
    Any(u64),
    /// `u64::MAX - n`.
    NearMax(u8),
    /// `u64::MAX + 1 + n`, as digits.
    PastMax(u16),
    Negative(i64),
    NegativeZero,
    Float(u32, u16),
    Exponent(u16, i8),
    Fixed(f64),
    LeadingZero(u16),
    /// A number in a string.
    Quoted(u64),
    Raw(RawToken),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RawToken {
    Plus,
    Dot,
    Nan,
    Infinity,
    Hex,
    TrailingDot,
}

/// A timestamp value: RFC 3339 in its variants, or text that only looks like one.
#[derive(Arbitrary, Debug)]
pub enum Stamp {
    Utc(u32, u16),
    Offset(u32, i16),
    Nanos(u32, u32),
    DateOnly(u32),
    SpaceSeparated(u32),
    Junk(Text),
}

/// A string and how it is escaped.
#[derive(Arbitrary, Debug)]
pub struct Text {
    pub text: Content,
    pub style: Escape,
}

#[derive(Arbitrary, Debug)]
pub enum Content {
    Any(String),
    /// Text made to confuse a structural pass: quotes, backslashes, braces, keys.
    Tricky(u8),
    Both(String, u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Escape {
    /// Only what JSON requires.
    Minimal,
    /// Every non-ASCII character as `\u` (surrogate pairs above U+FFFF).
    NonAscii,
    /// Every character as `\u`.
    All,
    /// `\/` for slashes and the short escapes (`\b`, `\f`, …) wherever they apply.
    Short,
    /// A lone surrogate escape appended: invalid in a string a parser keeps.
    LoneSurrogate,
}

/// The name of a field no parser reads, whatever its version: `content` or an `x-fuzz-` name.
#[derive(Arbitrary, Debug)]
pub enum Unknown {
    /// `content`: message text, which no parser here may ever read.
    Content,
    /// `x-fuzz-…`.
    Custom(Text),
}

/// Any JSON value.
#[derive(Arbitrary, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Num(Num),
    Str(Text),
    Array(Vec<Self>),
    /// Keys are any text: `type` and `timestamp` included, nested.
    Object(Vec<(Text, Self)>),
    /// A nested object carrying its own `type` and `timestamp`.
    Typed(Stamp, Vec<Self>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Space {
    None,
    One,
    Tab,
    Cr,
    Many(u8),
}

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for Field<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=219 => Self::Value(T::arbitrary(u)?),
            220..=234 => Self::Absent,
            235..=246 => Self::Null,
            _ => Self::Wrong(Json::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for Kind {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=127 => Self::Assistant,
            128..=159 => Self::User,
            160..=175 => Self::System,
            176..=191 => Self::Attachment,
            192..=223 => Self::Other(Text::arbitrary(u)?),
            224..=239 => Self::NotString(Json::arbitrary(u)?),
            _ => Self::Absent,
        })
    }
}

impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=89 => Self::Small(u8::arbitrary(u)?),
            90..=169 => Self::Any(u64::arbitrary(u)?),
            170..=209 => Self::NearMax(u8::arbitrary(u)?),
            210..=214 => Self::PastMax(u16::arbitrary(u)?),
            215..=219 => Self::Negative(i64::arbitrary(u)?),
            220..=222 => Self::NegativeZero,
            223..=227 => Self::Float(u32::arbitrary(u)?, u16::arbitrary(u)?),
            228..=232 => Self::Exponent(u16::arbitrary(u)?, i8::arbitrary(u)?),
            233..=236 => Self::Fixed(f64::arbitrary(u)?),
            237..=240 => Self::LeadingZero(u16::arbitrary(u)?),
            241..=248 => Self::Quoted(u64::arbitrary(u)?),
            _ => Self::Raw(RawToken::arbitrary(u)?),
        })
    }
}
