//! Per-model prices and the per-request cost rules Claude Code itself applies.
//!
//! One table ([`PRICES`]) serves both the Rust side ([`request_cost_usd`], used by the hooks for
//! `api_requests.cost_usd`) and the SQL side ([`sql_price_expr`], embedded by the pipes that estimate cost),
//! so there are never two hand-kept copies.
//!
//! The prices are the ones Claude Code 2.1.331 ships in its model catalog; its OpenTelemetry
//! `api_request.cost_usd` equals [`request_cost_usd`] request by request (a test checks this against the
//! recorded fixtures). All prices are USD per million tokens.
//!
//! The rules, in the order they apply:
//! 1. The model id is normalised ([`normalize_model`]): `[1m]`-style suffixes, `-YYYYMMDD` dates and
//!    `-latest` are stripped.
//! 2. Lookup ([`lookup`]): an exact id match; else a *family* fallback (an id containing `haiku`, `sonnet`,
//!    `opus`, `fable` or `mythos` is priced as that family's newest model in the table, see
//!    [`FAMILY_DEFAULTS`]); else [`PriceMatch::Unknown`], priced at [`UNKNOWN_MODEL_PRICE`] — the highest
//!    price of every kind in the table, so an unknown model is over- rather than under-estimated and never
//!    silently free. Both fallbacks are reported in [`Cost::matched`].
//! 3. A request with `usage.speed == "fast"` uses the fast tier ([`FAST_TIER_PRICE`]) for every kind.
//! 4. Otherwise a model with a long-prompt tier (Haiku 5.5) uses it when the request's prompt tokens
//!    (input + cache read + cache write, i.e. every token the model read) exceed the tier's threshold.
//! 5. Cache writes are split: `cache_creation_1h` tokens at the 1-hour price, the rest of
//!    `cache_creation` at the 5-minute price.
//! 6. A request whose `usage.inference_geo` is `"us"` costs 1.1×.
//!
//! ```
//! use atel_sdk::telemetry::pricing::{request_cost_usd, PriceMatch, Usage};
//!
//! let usage = Usage { input: 101, output: 31, cache_read: 5100, cache_creation: 2010, ..Usage::default() };
//! let cost = request_cost_usd("claude-opus-5-5[1m]", &usage);
//! assert_eq!(cost.matched, PriceMatch::Exact { model: "claude-opus-5-5" });
//! assert!((cost.usd - 0.012094).abs() < 1e-12);
//! ```

use std::fmt::Write as _;

/// Tokens per price unit: prices are per million tokens.
const TOKENS_PER_MTOK: f64 = 1_000_000.0;

/// Multiplier for requests served with `inference_geo: "us"` (US-only inference).
pub const US_INFERENCE_MULTIPLIER: f64 = 1.1;

/// Prices of one model for each token kind, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens (including thinking).
    pub output: f64,
    /// Cache writes with the default 5-minute lifetime.
    pub cache_write_5m: f64,
    /// Cache writes with the 1-hour lifetime.
    pub cache_write_1h: f64,
    /// Cache reads (hits).
    pub cache_read: f64,
}

impl ModelPrice {
    /// The price of one token kind.
    pub const fn get(&self, kind: PriceKind) -> f64 {
        match kind {
            PriceKind::Input => self.input,
            PriceKind::Output => self.output,
            PriceKind::CacheWrite5m => self.cache_write_5m,
            PriceKind::CacheWrite1h => self.cache_write_1h,
            PriceKind::CacheRead => self.cache_read,
        }
    }
}

/// A token kind, for reading one column of the table (e.g. to generate SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceKind {
    /// Uncached input tokens.
    Input,
    /// Output tokens.
    Output,
    /// 5-minute cache writes.
    CacheWrite5m,
    /// 1-hour cache writes.
    CacheWrite1h,
    /// Cache reads.
    CacheRead,
}

impl PriceKind {
    /// Every kind, in table order.
    pub const ALL: [Self; 5] = [
        Self::Input,
        Self::Output,
        Self::CacheWrite5m,
        Self::CacheWrite1h,
        Self::CacheRead,
    ];
}

/// A higher price tier that applies when a request's prompt is long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongPromptTier {
    /// The tier applies when prompt tokens (input + cache read + cache write) are strictly above this.
    pub above_prompt_tokens: u64,
    /// The prices of the whole request (every kind, output included) in that tier.
    pub price: ModelPrice,
}

/// One row of the price table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPricing {
    /// The normalised model id (no date or `[1m]` suffix).
    pub model: &'static str,
    /// The standard prices.
    pub price: ModelPrice,
    /// A long-prompt tier, if the model has one.
    pub long_prompt: Option<LongPromptTier>,
}

#[expect(
    clippy::similar_names,
    reason = "the parameters are the fields of ModelPrice"
)]
const fn price(
    input: f64,
    output: f64,
    cache_write_5m: f64,
    cache_write_1h: f64,
    cache_read: f64,
) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_write_5m,
        cache_write_1h,
        cache_read,
    }
}

const fn row(model: &'static str, price: ModelPrice) -> ModelPricing {
    ModelPricing {
        model,
        price,
        long_prompt: None,
    }
}

const HAIKU_3_5: ModelPrice = price(0.8, 4.0, 1.0, 1.6, 0.08);
const HAIKU_4_5: ModelPrice = price(1.0, 5.0, 1.25, 2.0, 0.1);
const HAIKU_5_5: ModelPrice = price(0.1, 0.5, 0.125, 0.2, 0.01);
const HAIKU_5_5_LONG: ModelPrice = price(0.5, 2.5, 0.625, 1.0, 0.05);
const SONNET_3_TO_4: ModelPrice = price(3.0, 15.0, 3.75, 6.0, 0.3);
const SONNET_5: ModelPrice = price(2.0, 10.0, 2.5, 4.0, 0.2);
const SONNET_5_5: ModelPrice = price(2.0, 10.0, 2.5, 4.0, 0.1);
const OPUS_4_0: ModelPrice = price(15.0, 75.0, 18.75, 30.0, 1.5);
const OPUS_4_5_TO_5: ModelPrice = price(5.0, 25.0, 6.25, 10.0, 0.5);
const OPUS_5_5: ModelPrice = price(4.0, 20.0, 5.0, 8.0, 0.2);
const FABLE_5: ModelPrice = price(10.0, 50.0, 12.5, 20.0, 1.0);
const FABLE_5_1: ModelPrice = price(10.0, 50.0, 12.5, 20.0, 0.25);
const FABLE_5_2: ModelPrice = price(8.0, 40.0, 10.0, 16.0, 0.2);

/// Haiku 5.5's long-prompt threshold: prompts above 100k tokens use the higher tier.
pub const HAIKU_5_5_LONG_PROMPT_THRESHOLD: u64 = 100_000;

/// The price table, read out of Claude Code 2.1.331's model catalog and checked against the `cost_usd`
/// Claude Code itself reported for every request in `tests/fixtures/claude-code` (`tests/it/pricing_fixtures.rs`).
///
/// `claude-sonnet-4` and `claude-opus-4` are the normalised forms of the dated 4.0 ids
/// (`claude-sonnet-4-20250514`), listed next to their `-4-0` aliases.
pub const PRICES: &[ModelPricing] = &[
    row("claude-3-5-haiku", HAIKU_3_5),
    row("claude-haiku-4-5", HAIKU_4_5),
    ModelPricing {
        model: "claude-haiku-5-5",
        price: HAIKU_5_5,
        long_prompt: Some(LongPromptTier {
            above_prompt_tokens: HAIKU_5_5_LONG_PROMPT_THRESHOLD,
            price: HAIKU_5_5_LONG,
        }),
    },
    row("claude-3-5-sonnet", SONNET_3_TO_4),
    row("claude-3-7-sonnet", SONNET_3_TO_4),
    row("claude-sonnet-4", SONNET_3_TO_4),
    row("claude-sonnet-4-0", SONNET_3_TO_4),
    row("claude-sonnet-4-5", SONNET_3_TO_4),
    row("claude-sonnet-4-6", SONNET_3_TO_4),
    row("claude-sonnet-5", SONNET_5),
    row("claude-sonnet-5-5", SONNET_5_5),
    row("claude-opus-4", OPUS_4_0),
    row("claude-opus-4-0", OPUS_4_0),
    row("claude-opus-4-1", OPUS_4_0),
    row("claude-opus-4-5", OPUS_4_5_TO_5),
    row("claude-opus-4-6", OPUS_4_5_TO_5),
    row("claude-opus-4-7", OPUS_4_5_TO_5),
    row("claude-opus-4-8", OPUS_4_5_TO_5),
    row("claude-opus-5", OPUS_4_5_TO_5),
    row("claude-opus-5-5", OPUS_5_5),
    row("claude-fable-5", FABLE_5),
    row("claude-fable-5-1", FABLE_5_1),
    row("claude-fable-5-2", FABLE_5_2),
    row("claude-mythos-5", FABLE_5),
    row("claude-mythos-5-1", FABLE_5_1),
    row("claude-mythos-5-2", FABLE_5_2),
];

/// Family fallbacks, tried in this order: an unknown id containing the family name is priced as the
/// family's newest model in the table (a new id of a known family is most likely a newer release).
pub const FAMILY_DEFAULTS: &[(&str, &str)] = &[
    ("haiku", "claude-haiku-5-5"),
    ("sonnet", "claude-sonnet-5-5"),
    ("opus", "claude-opus-5-5"),
    ("fable", "claude-fable-5-2"),
    ("mythos", "claude-mythos-5-2"),
];

/// The price of a model that matches neither an id nor a family: the highest price of each kind in the
/// table (today Opus 4.0's), so an unknown model is over-estimated, never free. Always flagged as
/// [`PriceMatch::Unknown`].
pub const UNKNOWN_MODEL_PRICE: ModelPrice = OPUS_4_0;

/// The fast tier (`usage.speed == "fast"`), Claude Code's default for every model.
pub const FAST_TIER_PRICE: ModelPrice = price(30.0, 150.0, 37.5, 60.0, 3.0);

const UNKNOWN_PRICING: ModelPricing = row("unknown", UNKNOWN_MODEL_PRICE);

/// How a model id was matched against the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceMatch {
    /// The normalised id is in the table.
    Exact {
        /// The table id.
        model: &'static str,
    },
    /// Not in the table, but the id names a family: priced as that family's default.
    Family {
        /// The family found in the id (`"opus"`, …).
        family: &'static str,
        /// The table id whose prices were used.
        priced_as: &'static str,
    },
    /// No match at all: priced at [`UNKNOWN_MODEL_PRICE`].
    Unknown,
}

impl PriceMatch {
    /// True when the price is a guess (family fallback or unknown model).
    pub const fn is_estimate(&self) -> bool {
        !matches!(self, Self::Exact { .. })
    }
}

/// The result of [`lookup`]: the table row to use and how it was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lookup {
    /// The row whose prices apply (for [`PriceMatch::Unknown`], a row named `"unknown"`).
    pub pricing: &'static ModelPricing,
    /// How the id matched.
    pub matched: PriceMatch,
}

/// Strips what Claude Code adds to a model id before pricing: surrounding whitespace, a bracketed
/// suffix such as `[1m]` (1M-context variant), a `-latest` alias suffix and a `-YYYYMMDD` date.
///
/// ```
/// use atel_sdk::telemetry::pricing::normalize_model;
/// assert_eq!(normalize_model("claude-haiku-4-5-20251001"), "claude-haiku-4-5");
/// assert_eq!(normalize_model("claude-opus-5-5[1m]"), "claude-opus-5-5");
/// ```
pub fn normalize_model(id: &str) -> &str {
    let mut id = id.trim();
    if id.ends_with(']')
        && let Some(open) = id.rfind('[')
    {
        id = id.get(..open).unwrap_or(id);
    }
    if let Some(stripped) = id.strip_suffix("-latest") {
        id = stripped;
    }
    if let Some((head, date)) = id.rsplit_once('-')
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
    {
        id = head;
    }
    id
}

/// Finds the prices for a model id (normalised first), with the family and unknown fallbacks.
pub fn lookup(model: &str) -> Lookup {
    let id = normalize_model(model);
    if let Some(pricing) = PRICES.iter().find(|p| p.model == id) {
        return Lookup {
            pricing,
            matched: PriceMatch::Exact {
                model: pricing.model,
            },
        };
    }
    for &(family, default) in FAMILY_DEFAULTS {
        if id.contains(family)
            && let Some(pricing) = PRICES.iter().find(|p| p.model == default)
        {
            return Lookup {
                pricing,
                matched: PriceMatch::Family {
                    family,
                    priced_as: pricing.model,
                },
            };
        }
    }
    Lookup {
        pricing: &UNKNOWN_PRICING,
        matched: PriceMatch::Unknown,
    }
}

/// The token usage of one API request, as Claude Code reports it in `message.usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Usage {
    /// `input_tokens`: uncached input.
    pub input: u64,
    /// `output_tokens`.
    pub output: u64,
    /// `cache_read_input_tokens`.
    pub cache_read: u64,
    /// `cache_creation_input_tokens`: every cache write, 5-minute and 1-hour.
    pub cache_creation: u64,
    /// `cache_creation.ephemeral_1h_input_tokens`: the part of `cache_creation` written for 1 hour.
    pub cache_creation_1h: u64,
    /// `inference_geo == "us"`: the request costs [`US_INFERENCE_MULTIPLIER`]×.
    pub inference_geo_us: bool,
    /// `speed == "fast"`: the request is priced at [`FAST_TIER_PRICE`].
    pub fast: bool,
}

impl Usage {
    /// Every token the model read: input + cache read + cache write. Decides the long-prompt tier.
    pub const fn prompt_tokens(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_creation)
    }

    /// Prompt tokens plus output tokens.
    pub const fn total_tokens(&self) -> u64 {
        self.prompt_tokens().saturating_add(self.output)
    }

    /// The 5-minute part of the cache writes: `cache_creation - cache_creation_1h`.
    pub const fn cache_creation_5m(&self) -> u64 {
        self.cache_creation.saturating_sub(self.cache_creation_1h)
    }

    /// Adds another request's token counts (the flags are kept only if both have them).
    #[must_use]
    pub const fn plus(&self, other: &Self) -> Self {
        Self {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_creation: self.cache_creation.saturating_add(other.cache_creation),
            cache_creation_1h: self
                .cache_creation_1h
                .saturating_add(other.cache_creation_1h),
            inference_geo_us: self.inference_geo_us && other.inference_geo_us,
            fast: self.fast && other.fast,
        }
    }
}

/// The cost of one request and how its model was priced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// USD.
    pub usd: f64,
    /// How the model matched the table; anything but [`PriceMatch::Exact`] is an estimate to surface.
    pub matched: PriceMatch,
}

/// The prices that apply to one request: fast tier, else the long-prompt tier if reached, else standard.
pub fn effective_price(pricing: &ModelPricing, usage: &Usage) -> ModelPrice {
    if usage.fast {
        return FAST_TIER_PRICE;
    }
    match pricing.long_prompt {
        Some(tier) if usage.prompt_tokens() > tier.above_prompt_tokens => tier.price,
        _ => pricing.price,
    }
}

/// The cost of one API request, with every rule of the module docs applied.
#[expect(
    clippy::cast_precision_loss,
    reason = "token counts stay far below 2^53"
)]
pub fn request_cost_usd(model: &str, usage: &Usage) -> Cost {
    let Lookup { pricing, matched } = lookup(model);
    let p = effective_price(pricing, usage);
    let per_mtok = usage.input as f64 * p.input
        + usage.output as f64 * p.output
        + usage.cache_read as f64 * p.cache_read
        + usage.cache_creation_5m() as f64 * p.cache_write_5m
        + usage.cache_creation_1h.min(usage.cache_creation) as f64 * p.cache_write_1h;
    let mut usd = per_mtok / TOKENS_PER_MTOK;
    if usage.inference_geo_us {
        usd *= US_INFERENCE_MULTIPLIER;
    }
    Cost { usd, matched }
}

/// A ClickHouse expression giving the USD-per-million-tokens price of `kind` for the model in `model_column`.
///
/// `model_column` is any SQL expression holding a *normalised* model id (wrap raw ids with
/// [`sql_normalize_model`]); it appears several times in the result, so pass a column or alias. The
/// expression is an exact-id `transform` over [`PRICES`] whose default is a `multiIf` over
/// [`FAMILY_DEFAULTS`] (substring match, like [`lookup`]) ending in [`UNKNOWN_MODEL_PRICE`].
///
/// What SQL cannot see, it cannot apply: the pipes only have total cache-write tokens, so they price them
/// with [`PriceKind::CacheWrite5m`] (Claude Code's default cache lifetime; 1-hour writes are
/// under-estimated); rows are aggregates, so the long-prompt tier, the fast tier and the US multiplier are
/// not applied. Per-request `api_requests.cost_usd` (from [`request_cost_usd`]) has them all.
///
/// ```
/// use atel_sdk::telemetry::pricing::{sql_price_expr, PriceKind};
/// let sql = sql_price_expr("model", PriceKind::Input);
/// assert!(sql.starts_with("transform(model, ['claude-3-5-haiku', "));
/// assert!(sql.ends_with("position(model, 'mythos') > 0, 8.0, 15.0))"));
/// ```
pub fn sql_price_expr(model_column: &str, kind: PriceKind) -> String {
    let mut ids = String::new();
    let mut prices = String::new();
    for (i, row) in PRICES.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(ids, "{sep}'{}'", row.model);
        let _ = write!(prices, "{sep}{:?}", row.price.get(kind));
    }
    let mut fallback = String::from("multiIf(");
    for &(family, default) in FAMILY_DEFAULTS {
        let price = lookup(default).pricing.price.get(kind);
        let _ = write!(
            fallback,
            "position({model_column}, '{family}') > 0, {price:?}, "
        );
    }
    let _ = write!(fallback, "{:?})", UNKNOWN_MODEL_PRICE.get(kind));
    format!("transform({model_column}, [{ids}], [{prices}], {fallback})")
}

/// A ClickHouse expression normalising a raw model id exactly like [`normalize_model`]: surrounding
/// whitespace, a trailing `[…]`, a `-latest` alias and a `-YYYYMMDD` date, in that order. Uses no
/// backslashes and no braces, so it passes through Tinybird's template engine unchanged.
///
/// ```
/// use atel_sdk::telemetry::pricing::sql_normalize_model;
/// let sql = sql_normalize_model("model");
/// assert!(sql.contains("trimBoth(model)") && sql.contains("'-latest$'"));
/// ```
pub fn sql_normalize_model(model_column: &str) -> String {
    format!(
        "replaceRegexpOne(replaceRegexpOne(replaceRegexpOne(trimBoth({model_column}), \
         '[[][^]]*[]]$', ''), '-latest$', ''), '-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$', '')"
    )
}

#[cfg(test)]
mod tests;
