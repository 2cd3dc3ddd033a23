//! The API's description: the hand-written OpenAPI 3.1 document `openapi.json` served as is
//! at `GET /api/openapi.json`, and a browsable page at `GET /api/docs` rendered on the
//! server from the same document (no script: the CSP forbids inline code and there is no
//! third-party origin). `tests/it/openapi.rs` checks the document against the router.

use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

/// The document, byte for byte as written.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The HTTP methods an OpenAPI path item may describe, in the order they are shown.
const METHODS: &[&str] = &[
    "get", "head", "options", "post", "put", "patch", "delete", "trace",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(document))
        .route("/api/docs", get(docs_page))
}

async fn document() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        DOCUMENT,
    )
}

pub(crate) struct DocParam {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub description: String,
}

pub(crate) struct DocResponse {
    pub status: String,
    pub description: String,
}

pub(crate) struct DocOperation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// Names of the accepted security requirements, e.g. "bearerAuth", "sessionCookie + csrfHeader".
    pub security: Vec<String>,
    pub params: Vec<DocParam>,
    /// Content types of the request body.
    pub body: Vec<String>,
    pub responses: Vec<DocResponse>,
}

pub(crate) struct DocTag {
    pub name: String,
    pub description: String,
    pub operations: Vec<DocOperation>,
}

pub(crate) struct DocScheme {
    pub name: String,
    pub kind: String,
    pub description: String,
}

/// The document as the page shows it.
pub(crate) struct ApiDoc {
    pub title: String,
    pub version: String,
    pub openapi: String,
    pub paragraphs: Vec<String>,
    pub schemes: Vec<DocScheme>,
    pub tags: Vec<DocTag>,
}

static PARSED: LazyLock<Result<ApiDoc, String>> = LazyLock::new(|| parse(DOCUMENT));

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Follows a local `$ref` (`#/components/...`) once; anything else is returned as is.
fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or(v),
        None => v,
    }
}

fn params(root: &Value, list: Option<&Value>) -> Vec<DocParam> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let p = resolve(root, p);
            DocParam {
                name: text(p, "name"),
                location: text(p, "in"),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                description: text(p, "description"),
            }
        })
        .collect()
}

fn security(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|req| req.keys().cloned().collect::<Vec<_>>().join(" + "))
        .collect()
}

/// Parses the document into what the page shows: operations grouped by their first tag,
/// in the order of the document's `tags`, then any other tag in order of appearance.
pub(crate) fn parse(doc: &str) -> Result<ApiDoc, String> {
    let root: Value = serde_json::from_str(doc).map_err(|e| format!("openapi.json: {e}"))?;
    let info = root.get("info").ok_or("openapi.json: no info")?;
    let mut tags: Vec<DocTag> = root
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| DocTag {
            name: text(t, "name"),
            description: text(t, "description"),
            operations: Vec::new(),
        })
        .collect();
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("openapi.json: no paths")?;
    let default_security = root.get("security");
    for (path, item) in paths {
        let shared = params(&root, item.get("parameters"));
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let tag = op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(Value::as_str)
                .unwrap_or("other")
                .to_owned();
            let mut ps: Vec<DocParam> = params(&root, op.get("parameters"));
            for p in &shared {
                if !ps
                    .iter()
                    .any(|q| q.name == p.name && q.location == p.location)
                {
                    ps.insert(
                        0,
                        DocParam {
                            name: p.name.clone(),
                            location: p.location.clone(),
                            required: p.required,
                            description: p.description.clone(),
                        },
                    );
                }
            }
            let body = op
                .get("requestBody")
                .map(|b| resolve(&root, b))
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| DocResponse {
                    status: status.clone(),
                    description: text(resolve(&root, r), "description"),
                })
                .collect();
            let operation = DocOperation {
                anchor: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{method}-{path}")),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                security: security(op.get("security").or(default_security)),
                params: ps,
                body,
                responses,
            };
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(operation),
                None => tags.push(DocTag {
                    name: tag,
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    let schemes = root
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, s)| DocScheme {
            name: name.clone(),
            kind: match (text(s, "type").as_str(), text(s, "in").as_str()) {
                ("http", _) => format!("HTTP {}", text(s, "scheme")),
                (_, "") => text(s, "type"),
                (_, place) => format!("{place}: {}", text(s, "name")),
            },
            description: text(s, "description"),
        })
        .collect();
    Ok(ApiDoc {
        title: text(info, "title"),
        version: text(info, "version"),
        openapi: text(&root, "openapi"),
        paragraphs: text(info, "description")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        schemes,
        tags,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "api_docs.html")]
struct DocsPage {
    c: Chrome,
    doc: &'static ApiDoc,
}

/// Readable without signing in: the API's description is no secret. A signed-in user
/// sees the usual menu.
async fn docs_page(t: Tr, user: Result<CurrentUser, ApiError>) -> Result<DocsPage, PageError> {
    let doc = PARSED.as_ref().map_err(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not parse");
        PageError::new(ApiError::NotFound("API documentation".into()), t)
    })?;
    Ok(DocsPage {
        c: Chrome::new(t, user.ok().as_ref(), "api"),
        doc,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_parses_into_the_page() {
        let doc = super::parse(super::DOCUMENT).unwrap();
        assert_eq!(doc.openapi, "3.1.0");
        assert!(doc.tags.iter().any(|t| t.name == "uploads"));
        let ops: Vec<_> = doc.tags.iter().flat_map(|t| &t.operations).collect();
        assert!(
            ops.iter()
                .any(|o| o.method == "PATCH" && o.path == "/api/v1/uploads/{id}")
        );
        assert!(
            ops.iter()
                .all(|o| !o.responses.is_empty() && !o.summary.is_empty())
        );
        assert!(ops.iter().all(|o| !o.security.is_empty()));
    }
}
