//! The canonical JSON of the log: RFC 8785, the JSON Canonicalization Scheme (JCS). Object
//! keys sorted by their UTF-16 code units, no whitespace, strings escaped as ECMAScript's
//! `JSON.stringify` does, numbers as ECMAScript's `Number.prototype.toString` prints the
//! IEEE 754 double. Used for audit entry bodies (format version 2, `docs/log-format.md`)
//! and for an approval's basis digest, so neither depends on how `serde_json` happens to be
//! configured elsewhere in the dependency graph (`preserve_order`, float printing).

use serde_json::Value;

/// The largest integer a double holds exactly; larger ones are printed as JCS prints the
/// double they become.
const EXACT: u64 = 1 << 53;

/// `value` in RFC 8785 canonical form.
pub fn to_jcs(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        out.push_str(&i.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&es6_number(f));
    } else {
        // Unreachable without serde_json's `arbitrary_precision`; keep the text as given.
        out.push_str(&n.to_string());
    }
}

/// ECMAScript `Number::toString(x)` for a finite double (ECMA-262 §6.1.6.1.20).
pub fn es6_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        // -0 prints as 0; NaN and infinities do not occur in JSON values.
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` finds how many digits the shortest round-tripping form needs; printing
    // exactly that many digits again (exact mode, ties to even) picks, among the forms of that
    // length, the one closest to `x`, the even one on a tie, as ECMAScript requires
    // (1424953923781206.25 prints as ...206.2, where `{:e}` alone gives ...206.3).
    let shortest = format!("{:e}", x.abs());
    let len = shortest
        .split('e')
        .next()
        .unwrap_or("")
        .replace('.', "")
        .len();
    let sci = format!("{:.*e}", len.saturating_sub(1), x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let e = n - 1;
        let e_sign = if e >= 0 { "+" } else { "-" };
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and the text JCS prints for them.
    const NUMBERS: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];

    #[test]
    fn numbers_print_as_rfc_8785_appendix_b() {
        for (bits, expected) in NUMBERS {
            let x = f64::from_bits(*bits);
            assert_eq!(es6_number(x), *expected, "{bits:#018x}");
            if let Some(n) = serde_json::Number::from_f64(x) {
                assert_eq!(to_jcs(&Value::Number(n)), *expected, "{bits:#018x}");
            }
        }
    }

    #[test]
    fn rfc_8785_section_3_2_example() {
        // serde_json's default parser may miss the nearest double by one unit, so the
        // numbers are parsed by the standard library here.
        let mut numbers = Vec::new();
        for text in [
            "333333333.33333329",
            "1E30",
            "4.50",
            "2e-3",
            "0.000000000000000000000000001",
        ] {
            let n = serde_json::Number::from_f64(text.parse().unwrap()).unwrap();
            numbers.push(Value::Number(n));
        }
        let input = r#"{
          "numbers": [],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let mut v: Value = serde_json::from_str(input).unwrap();
        v["numbers"] = Value::Array(numbers);
        assert_eq!(
            to_jcs(&v),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_rfc_8785_section_3_2_3() {
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let v: Value = serde_json::from_str(input).unwrap();
        assert_eq!(
            to_jcs(&v),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
             \"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\
             \"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    #[test]
    fn integers_and_escapes() {
        let v = serde_json::json!({
            "b": [0, -1, 9007199254740992_u64, 9007199254740993_u64, -9007199254740993_i64],
            "a": "留痕\u{1}\u{1f}\u{7f}/\t",
            "A": 1.0,
            "c": 12.5,
        });
        assert_eq!(
            to_jcs(&v),
            "{\"A\":1,\"a\":\"留痕\\u0001\\u001f\u{7f}/\\t\",\
             \"b\":[0,-1,9007199254740992,9007199254740992,-9007199254740992],\"c\":12.5}"
        );
    }
}
