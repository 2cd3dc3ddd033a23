//! The TOTP enrolment's QR code (issue 18), drawn on the server as inline SVG: the secret
//! goes to no outside service, and the page's CSP needs no image source.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `text` (an `otpauth://` URI) as an SVG element, or `None` when it does not fit a code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The element only, without the XML declaration.
    drawn.find("<svg").map(|at| drawn[at..].to_owned())
}

/// A base32 secret in groups of four, as it is typed into an authenticator by hand.
pub fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_grouped_in_fours() {
        for (secret, shown) in [
            ("", ""),
            ("ABC", "ABC"),
            ("ABCD", "ABCD"),
            ("ABCDE", "ABCD E"),
            ("JBSWY3DPEHPK3PXPJBSWY3DP", "JBSW Y3DP EHPK 3PXP JBSW Y3DP"),
            ("JBSW Y3DP", "JBSW Y3DP"),
        ] {
            assert_eq!(grouped(secret), shown, "{secret}");
        }
    }

    #[test]
    fn a_uri_becomes_an_svg_element() {
        let s = svg("otpauth://totp/liuhen:admin?secret=JBSWY3DPEHPK3PXP&issuer=liuhen").unwrap();
        assert!(
            s.starts_with("<svg") && s.trim_end().ends_with("</svg>"),
            "{s}"
        );
        assert!(s.contains("<path"), "{s}");
        assert!(!s.contains("href"), "nothing fetched from elsewhere");
    }
}
