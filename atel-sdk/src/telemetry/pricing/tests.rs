use super::*;

fn usage(input: u64, output: u64, cache_read: u64, cache_creation: u64) -> Usage {
    Usage {
        input,
        output,
        cache_read,
        cache_creation,
        ..Usage::default()
    }
}

fn assert_close(actual: f64, expected: f64) {
    let tolerance = 1e-12 * expected.abs().max(1e-12);
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn normalize_strips_dates_brackets_and_latest() {
    assert_eq!(
        normalize_model("claude-haiku-4-5-20251001"),
        "claude-haiku-4-5"
    );
    assert_eq!(normalize_model("claude-opus-5-5[1m]"), "claude-opus-5-5");
    assert_eq!(
        normalize_model("claude-sonnet-4-5-20250929[1m]"),
        "claude-sonnet-4-5"
    );
    assert_eq!(
        normalize_model("claude-sonnet-4-20250514"),
        "claude-sonnet-4"
    );
    assert_eq!(
        normalize_model("claude-3-5-sonnet-latest"),
        "claude-3-5-sonnet"
    );
    assert_eq!(normalize_model(" claude-opus-4-8 \n"), "claude-opus-4-8");
    // Short numeric segments are versions, not dates.
    assert_eq!(normalize_model("claude-opus-4-8"), "claude-opus-4-8");
    assert_eq!(normalize_model("claude-x-1234567"), "claude-x-1234567");
    assert_eq!(normalize_model(""), "");
    assert_eq!(normalize_model("[1m]"), "");
}

#[test]
fn table_ids_are_normalised_and_unique() {
    for (i, row) in PRICES.iter().enumerate() {
        assert_eq!(normalize_model(row.model), row.model);
        assert!(
            PRICES
                .iter()
                .skip(i + 1)
                .all(|other| other.model != row.model),
            "duplicate {}",
            row.model
        );
        for kind in PriceKind::ALL {
            assert!(row.price.get(kind) > 0.0, "{} {kind:?}", row.model);
        }
    }
}

#[test]
fn table_has_the_reference_prices() {
    let p = |id: &str| lookup(id).pricing.price;
    assert_eq!(p("claude-3-5-haiku"), price(0.8, 4.0, 1.0, 1.6, 0.08));
    assert_eq!(p("claude-haiku-4-5"), price(1.0, 5.0, 1.25, 2.0, 0.1));
    assert_eq!(p("claude-haiku-5-5"), price(0.1, 0.5, 0.125, 0.2, 0.01));
    for id in [
        "claude-3-5-sonnet",
        "claude-3-7-sonnet",
        "claude-sonnet-4-0",
        "claude-sonnet-4-5",
        "claude-sonnet-4-6",
    ] {
        assert_eq!(p(id), price(3.0, 15.0, 3.75, 6.0, 0.3), "{id}");
    }
    assert_eq!(p("claude-sonnet-5"), price(2.0, 10.0, 2.5, 4.0, 0.2));
    assert_eq!(p("claude-sonnet-5-5"), price(2.0, 10.0, 2.5, 4.0, 0.1));
    for id in ["claude-opus-4-0", "claude-opus-4-1"] {
        assert_eq!(p(id), price(15.0, 75.0, 18.75, 30.0, 1.5), "{id}");
    }
    for id in [
        "claude-opus-4-5",
        "claude-opus-4-6",
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
    ] {
        assert_eq!(p(id), price(5.0, 25.0, 6.25, 10.0, 0.5), "{id}");
    }
    assert_eq!(p("claude-opus-5-5"), price(4.0, 20.0, 5.0, 8.0, 0.2));
    for family in ["fable", "mythos"] {
        let id = format!("claude-{family}-5");
        assert_eq!(p(&id), price(10.0, 50.0, 12.5, 20.0, 1.0));
        assert_eq!(p(&format!("{id}-1")), price(10.0, 50.0, 12.5, 20.0, 0.25));
        assert_eq!(p(&format!("{id}-2")), price(8.0, 40.0, 10.0, 16.0, 0.2));
    }
}

#[test]
fn lookup_matches_exact_ids_after_normalising() {
    let found = lookup("claude-haiku-4-5-20251001");
    assert_eq!(
        found.matched,
        PriceMatch::Exact {
            model: "claude-haiku-4-5"
        }
    );
    assert!(!found.matched.is_estimate());
    assert_eq!(
        lookup("claude-sonnet-4-20250514").pricing.price,
        lookup("claude-sonnet-4-0").pricing.price
    );
}

#[test]
fn lookup_falls_back_by_family() {
    let found = lookup("claude-opus-7-20300101");
    assert_eq!(
        found.matched,
        PriceMatch::Family {
            family: "opus",
            priced_as: "claude-opus-5-5"
        }
    );
    assert!(found.matched.is_estimate());
    assert_eq!(found.pricing.price, OPUS_5_5);
    for (id, family) in [
        ("claude-haiku-9", "haiku"),
        ("claude-3-sonnet-20240229", "sonnet"),
        ("anthropic.claude-fable-6-v1:0", "fable"),
        ("claude-mythos-7", "mythos"),
    ] {
        assert!(
            matches!(lookup(id).matched, PriceMatch::Family { family: f, .. } if f == family),
            "{id}"
        );
    }
}

#[test]
fn family_defaults_are_rows_of_the_table() {
    for &(family, default) in FAMILY_DEFAULTS {
        assert!(default.contains(family));
        assert_eq!(
            lookup(default).matched,
            PriceMatch::Exact { model: default }
        );
    }
}

#[test]
fn unknown_models_are_flagged_and_never_free() {
    let cost = request_cost_usd("gpt-5", &usage(1_000_000, 0, 0, 0));
    assert_eq!(cost.matched, PriceMatch::Unknown);
    assert!(cost.matched.is_estimate());
    assert_close(cost.usd, UNKNOWN_MODEL_PRICE.input);
    assert_eq!(lookup("").matched, PriceMatch::Unknown);
}

#[test]
fn unknown_price_is_the_highest_of_each_kind() {
    for kind in PriceKind::ALL {
        let max = PRICES
            .iter()
            .map(|row| row.price.get(kind))
            .fold(0.0_f64, f64::max);
        assert!(
            (UNKNOWN_MODEL_PRICE.get(kind) - max).abs() < f64::EPSILON,
            "{kind:?}"
        );
    }
}

#[test]
fn cost_sums_every_kind() {
    // Fixture call 1 under claude-opus-4-8: Claude Code 2.1.197 reported cost_usd 0.0163925.
    let cost = request_cost_usd("claude-opus-4-8", &usage(101, 31, 5100, 2010));
    assert_close(cost.usd, 0.016_392_5);
    // One million of each kind costs the sum of the prices.
    let cost = request_cost_usd(
        "claude-sonnet-5",
        &usage(1_000_000, 1_000_000, 1_000_000, 1_000_000),
    );
    assert_close(cost.usd, 2.0 + 10.0 + 0.2 + 2.5);
}

#[test]
fn zero_usage_costs_zero() {
    let cost = request_cost_usd("claude-opus-5-5", &Usage::default());
    assert!(cost.usd.abs() < f64::EPSILON);
}

#[test]
fn cache_writes_split_between_1h_and_5m() {
    let mut u = usage(0, 0, 0, 1_000_000);
    u.cache_creation_1h = 400_000;
    assert_eq!(u.cache_creation_5m(), 600_000);
    // claude-opus-5-5: 5m = 5, 1h = 8.
    assert_close(
        request_cost_usd("claude-opus-5-5", &u).usd,
        0.6 * 5.0 + 0.4 * 8.0,
    );
    // Inconsistent input (1h > total) is capped at the total, never negative.
    u.cache_creation_1h = 2_000_000;
    assert_eq!(u.cache_creation_5m(), 0);
    assert_close(request_cost_usd("claude-opus-5-5", &u).usd, 8.0);
}

#[test]
fn us_inference_costs_ten_percent_more() {
    let mut u = usage(1_000_000, 1_000_000, 0, 0);
    let base = request_cost_usd("claude-haiku-4-5", &u).usd;
    assert_close(base, 6.0);
    u.inference_geo_us = true;
    assert_close(request_cost_usd("claude-haiku-4-5", &u).usd, 6.0 * 1.1);
}

#[test]
fn fast_tier_replaces_model_prices() {
    let mut u = usage(1_000_000, 1_000_000, 1_000_000, 1_000_000);
    u.cache_creation_1h = 500_000;
    u.fast = true;
    let expected = 30.0 + 150.0 + 3.0 + 0.5 * 37.5 + 0.5 * 60.0;
    assert_close(request_cost_usd("claude-opus-4-8", &u).usd, expected);
    assert_close(request_cost_usd("claude-haiku-5-5", &u).usd, expected);
    u.inference_geo_us = true;
    assert_close(request_cost_usd("claude-opus-4-8", &u).usd, expected * 1.1);
}

#[test]
fn haiku_5_5_long_prompt_tier_starts_above_100k_prompt_tokens() {
    // Prompt tokens = input + cache read + cache write = exactly 100_000: standard tier.
    let at = usage(40_000, 1_000, 50_000, 10_000);
    assert_eq!(at.prompt_tokens(), 100_000);
    assert_close(
        request_cost_usd("claude-haiku-5-5-20260101", &at).usd,
        (40_000.0 * 0.1 + 1_000.0 * 0.5 + 50_000.0 * 0.01 + 10_000.0 * 0.125) / 1e6,
    );
    // One more cached token: the whole request, output included, moves to the long tier.
    let above = usage(40_000, 1_000, 50_001, 10_000);
    assert_close(
        request_cost_usd("claude-haiku-5-5", &above).usd,
        (40_000.0 * 0.5 + 1_000.0 * 2.5 + 50_001.0 * 0.05 + 10_000.0 * 0.625) / 1e6,
    );
    // Other models have no such tier.
    let big = usage(1_000_000, 0, 0, 0);
    assert_close(request_cost_usd("claude-haiku-4-5", &big).usd, 1.0);
}

#[test]
fn usage_plus_adds_counts() {
    let a = usage(1, 2, 3, 4);
    let b = Usage {
        cache_creation_1h: 2,
        ..usage(10, 20, 30, 40)
    };
    let sum = a.plus(&b);
    assert_eq!(
        sum,
        Usage {
            cache_creation_1h: 2,
            ..usage(11, 22, 33, 44)
        }
    );
    assert_eq!(sum.total_tokens(), 110);
}

/// (model or family, price) pairs.
type Prices = Vec<(String, f64)>;

/// Reads the generated SQL back: the two arrays of `transform` and the family branches.
fn parse_sql(sql: &str, column: &str) -> (Prices, Prices, f64) {
    let rest = sql
        .strip_prefix(&format!("transform({column}, ["))
        .unwrap_or_else(|| panic!("unexpected start: {sql}"));
    let (ids, rest) = rest.split_once("], [").unwrap_or_else(|| panic!("{sql}"));
    let (prices, rest) = rest
        .split_once("], multiIf(")
        .unwrap_or_else(|| panic!("{sql}"));
    let ids: Vec<String> = ids
        .split(", ")
        .map(|id| id.trim_matches('\'').to_owned())
        .collect();
    let prices: Vec<f64> = prices
        .split(", ")
        .map(|p| p.parse().unwrap_or_else(|_| panic!("bad price {p}")))
        .collect();
    assert_eq!(ids.len(), prices.len());
    let body = rest.strip_suffix("))").unwrap_or_else(|| panic!("{sql}"));
    let branch = format!("position({column}, '");
    let mut families = Vec::new();
    let mut default = f64::NAN;
    for piece in body.split(branch.as_str()).skip(1) {
        let (family, values) = piece
            .split_once("') > 0, ")
            .unwrap_or_else(|| panic!("bad branch {piece}"));
        let values: Vec<f64> = values
            .trim_end_matches(", ")
            .split(", ")
            .map(|v| v.parse().unwrap_or_else(|_| panic!("bad value {v}")))
            .collect();
        families.push((family.to_owned(), values[0]));
        if let [_, last] = values[..] {
            default = last;
        }
    }
    (ids.into_iter().zip(prices).collect(), families, default)
}

#[test]
fn sql_price_expr_is_the_table() {
    for kind in PriceKind::ALL {
        let sql = sql_price_expr("m", kind);
        let (exact, families, default) = parse_sql(&sql, "m");
        assert_eq!(exact.len(), PRICES.len());
        for (row, (id, price)) in PRICES.iter().zip(&exact) {
            assert_eq!(id, row.model);
            assert!((price - row.price.get(kind)).abs() < f64::EPSILON, "{id}");
        }
        assert_eq!(families.len(), FAMILY_DEFAULTS.len());
        for ((family, price), &(name, default_model)) in families.iter().zip(FAMILY_DEFAULTS) {
            assert_eq!(family, name);
            let expected = lookup(default_model).pricing.price.get(kind);
            assert!((price - expected).abs() < f64::EPSILON, "{family}");
        }
        assert!((default - UNKNOWN_MODEL_PRICE.get(kind)).abs() < f64::EPSILON);
    }
}

#[test]
fn sql_price_expr_exact_text_for_cache_write_5m() {
    let sql = sql_price_expr("model", PriceKind::CacheWrite5m);
    assert!(sql.starts_with(
        "transform(model, ['claude-3-5-haiku', 'claude-haiku-4-5', 'claude-haiku-5-5', "
    ));
    assert!(sql.contains("], [1.0, 1.25, 0.125, 3.75, "));
    assert!(sql.ends_with(
        "multiIf(position(model, 'haiku') > 0, 0.125, position(model, 'sonnet') > 0, 2.5, \
         position(model, 'opus') > 0, 5.0, position(model, 'fable') > 0, 10.0, \
         position(model, 'mythos') > 0, 10.0, 18.75))"
    ));
    assert!(!sql.contains("{{") && !sql.contains("{%"));
}

#[test]
fn sql_normalize_model_has_no_template_syntax() {
    let sql = sql_normalize_model("model");
    assert!(!sql.contains('{') && !sql.contains('\\'));
    assert!(sql.contains("'-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$'"));
}
