//! AWS Signature Version 4 for S3 (header-based, path-style), written by hand to avoid the
//! weight of an SDK. Every request signs `host`, `x-amz-date`, `x-amz-content-sha256` and
//! any other header it carries explicitly.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::{Digest as _, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, and `/`
/// too unless `keep_slash` (object keys in paths).
pub(crate) fn uri_encode(s: &str, keep_slash: bool) -> String {
    if keep_slash {
        liuhen_domain::uri::encode_path(s)
    } else {
        liuhen_domain::uri::encode(s)
    }
}

/// The canonical (sorted, encoded) query string; also used verbatim in the request URL.
pub(crate) fn canonical_query(query: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

/// Adds `x-amz-date`, `x-amz-content-sha256` and `authorization` to `headers`.
/// `headers` must already hold `host` and every other header to sign.
pub(crate) fn sign(
    creds: &Credentials<'_>,
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &mut Vec<(String, String)>,
    payload_sha256_hex: &str,
    now: Timestamp,
) {
    let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let date = &amz_date[..8];
    headers.push(("x-amz-date".into(), amz_date.clone()));
    headers.push(("x-amz-content-sha256".into(), payload_sha256_hex.into()));

    let mut canon: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    canon.sort();
    let canonical_headers: String = canon.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = canon
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_sha256_hex}"
    );
    let scope = format!("{date}/{}/s3/aws4_request", creds.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{}", creds.secret_key).as_bytes(), date);
    let k_region = hmac(&k_date, creds.region);
    let k_service = hmac(&k_region, "s3");
    let k_signing = hmac(&k_service, "aws4_request");
    let signature = hex::encode(hmac(&k_signing, &string_to_sign));
    headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            creds.access_key
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "GET Object" example of the AWS SigV4 documentation for S3.
    #[test]
    fn aws_documentation_example() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
        };
        let mut headers = vec![
            (
                "host".to_string(),
                "examplebucket.s3.amazonaws.com".to_string(),
            ),
            ("range".to_string(), "bytes=0-9".to_string()),
        ];
        let now: Timestamp = "2013-05-24T00:00:00Z".parse().unwrap();
        let empty = sha256_hex(b"");
        sign(&creds, "GET", "/test.txt", "", &mut headers, &empty, now);
        let auth = &headers.last().unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn encodes_query_and_keys() {
        assert_eq!(uri_encode("staging/a b+c", true), "staging/a%20b%2Bc");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
        assert_eq!(uri_encode("证据 1.mp4", true), "%E8%AF%81%E6%8D%AE%201.mp4");
        let q = canonical_query(&[("uploadId", "x/y=".into()), ("partNumber", "2".into())]);
        assert_eq!(q, "partNumber=2&uploadId=x%2Fy%3D");
    }
}
