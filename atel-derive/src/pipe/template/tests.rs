use super::*;

fn typed(ty: &str, array: bool) -> Kind {
    Kind::Typed {
        ty: ty.to_owned(),
        array,
    }
}

/// `(name, kind, default text, guarded)` of every use.
fn uses(sql: &str) -> Vec<(String, Kind, Option<String>, bool)> {
    let scan = scan(sql);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    scan.uses
        .into_iter()
        .map(|u| {
            let default = u
                .default
                .map(|d| d.map_or_else(|text| text, |lit| lit.text()));
            (u.name, u.kind, default, u.guarded)
        })
        .collect()
}

fn errors(sql: &str) -> Vec<String> {
    scan(sql).errors
}

#[test]
fn typed_call_with_default() {
    let sql = "%\nSELECT 1 WHERE ts > now() - INTERVAL {{ Int32(days, 7) }} DAY";
    assert_eq!(
        uses(sql),
        [(
            "days".to_owned(),
            typed("Int32", false),
            Some("7".to_owned()),
            false
        )]
    );
    assert!(scan(sql).templated);
    assert!(!scan("SELECT 1 -- no templates { here }").templated);
}

#[test]
fn keyword_arguments() {
    let sql = "{{ String(model, default='claude', description='The model', required=True) }}";
    let scan = scan(sql);
    let only = &scan.uses[0];
    assert_eq!(only.default, Some(Ok(Literal::Str("claude".to_owned()))));
    assert_eq!(only.description.as_deref(), Some("The model"));
    assert!(only.required);
    let negative = uses("{{ Float64(x, -0.5) }} {{ Int64(y, -0) }} {{ Boolean(z, True) }}");
    let defaults: Vec<_> = negative.into_iter().map(|u| u.2).collect();
    assert_eq!(
        defaults,
        [
            Some("-0.5".to_owned()),
            Some("0".to_owned()),
            Some("True".to_owned())
        ]
    );
}

#[test]
fn arrays_take_their_element_type() {
    assert_eq!(
        uses("{{ Array(ids, 'UInt64', '1,2') }} {{ Array(tags) }}"),
        [
            (
                "ids".to_owned(),
                typed("UInt64", true),
                Some("1,2".to_owned()),
                false
            ),
            ("tags".to_owned(), typed("String", true), None, false),
        ]
    );
    assert_eq!(
        errors("{{ Array(ids, 'Nope') }}"),
        ["unknown `Array` element type `'Nope'`: expected a quoted type like `'Int32'`"]
    );
}

#[test]
fn defined_guards_the_if_body_only() {
    let sql = "%\n{% if defined(session_id) %} AND session_id = {{ String(session_id) }} {% end %}\n\
               AND x = {{ String(session_id) }}";
    assert_eq!(
        uses(sql),
        [
            ("session_id".to_owned(), Kind::Untyped, None, true),
            ("session_id".to_owned(), typed("String", false), None, true),
            ("session_id".to_owned(), typed("String", false), None, false),
        ]
    );
}

#[test]
fn not_defined_guards_the_else_branch() {
    let sql = "{% if not defined(a) %} 1 {% elif Int8(b) > 0 %} {{ Int8(a) }} {% else %} {{ Int8(a) }} {% end %}";
    let guarded: Vec<_> = uses(sql).into_iter().map(|u| (u.0, u.3)).collect();
    assert_eq!(
        guarded,
        [
            ("a".to_owned(), false),
            // the `elif` condition itself runs unguarded
            ("b".to_owned(), false),
            ("a".to_owned(), true),
            ("a".to_owned(), true),
        ]
    );
    let either = "{% if defined(a) or defined(b) %}{{ Int8(a) }}{% end %}";
    assert!(uses(either).iter().all(|u| !u.3));
}

#[test]
fn defined_false_means_optional() {
    let scan = scan("{{ Array(ids, 'Int32', defined=False) }}");
    assert!(scan.uses[0].guarded);
}

#[test]
fn bare_names_and_other_functions_are_untyped_uses() {
    let names: Vec<_> = uses(
        "{{ column(sort_by, 'ts') }} {{ x }} {{ split_to_array(tags, '') }} {{ max(a, len(b)) }} \
         {{ day_diff(d0, d1) }} {{ sql_and(name__in=names) }} {{ y.split(',') }}",
    )
    .into_iter()
    .map(|u| {
        assert_eq!(u.1, Kind::Untyped);
        u.0
    })
    .collect();
    assert_eq!(
        names,
        ["sort_by", "x", "tags", "a", "b", "d0", "d1", "names", "y"]
    );
}

#[test]
fn locals_are_not_params() {
    let sql = "{% for m in split_to_array(models, '') %}{{ String(m) }}{% end %}\
               {% set n = Int32(limit, 10) %}{{ n }} {{ [k for k in keys] }}";
    let names: Vec<_> = uses(sql).into_iter().map(|u| u.0).collect();
    assert_eq!(names, ["models", "limit", "keys"]);
}

#[test]
fn comments_and_escapes_are_skipped() {
    assert_eq!(
        uses("{# {{ Int32(a) }} #} {{! literal }} {%! literal %}"),
        []
    );
    assert_eq!(
        uses("{{{ Int8(a) }}}")
            .into_iter()
            .map(|u| u.0)
            .collect::<Vec<_>>(),
        ["a"]
    );
}

#[test]
fn template_names_are_not_params() {
    assert_eq!(uses("{{ True }} {{ None }} {{ len }} {{ __x }}"), []);
    // `format` is a builtin, but Tinybird treats it as a (forbidden) param name.
    assert_eq!(uses("{{ format }}").len(), 1);
}

#[test]
fn syntax_errors() {
    assert_eq!(errors("{{ Int32(a) "), ["missing `}}` after `{{`"]);
    assert_eq!(
        errors("{% if defined(a) %}"),
        ["a `{% if %}`, `{% for %}` or `{% while %}` block has no `{% end %}`"]
    );
    assert_eq!(errors("{% end %}"), ["extra `{% end %}`"]);
    assert_eq!(errors("{% else %}"), ["`{% else %}` outside an `if` block"]);
    assert_eq!(errors("{{ }}"), ["empty expression `{{ }}`"]);
    assert_eq!(
        errors("{{ Int(days, 7) }}"),
        [
            "`Int(...)` is not one of Tinybird's param types (its param analysis does not see it): use `Int32` or `Int64`"
        ]
    );
}

#[test]
fn non_literal_defaults_are_kept_as_text() {
    let scan = scan("{{ Int32(a, b + 1) }}");
    assert_eq!(scan.uses[0].default, Some(Err("b+1".to_owned())));
    assert_eq!(scan.uses[1].name, "b");
}
