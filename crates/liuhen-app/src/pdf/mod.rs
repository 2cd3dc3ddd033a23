//! The one PDF engine of liuhen: every printed form (the access register, the compliance
//! report, the copy statement, the disc-burn record form, a package's manifest) is drawn
//! here with [krilla](https://docs.rs/krilla), which subsets and embeds the font, so the
//! file prints the same on any reader (`pdffonts` says `emb yes`) and its text can be
//! extracted (`pdftotext`). The reasons for this engine are in `docs/pdf.md`.
//!
//! The font shipped in the binary is a subset of Noto Serif CJK SC (SIL OFL 1.1, licence
//! beside it in `fonts/`) covering GB 2312, ASCII and CJK punctuation; a bureau can name
//! another OpenType/TrueType file (`[pdf] font` in the config) for rarer characters. The
//! look a bureau adapts — its unit name as a red header (红头) and the header's colour — is
//! configuration ([`Style`]), not code.
//!
//! Layout is done first into pages of drawing operations (so that "第 n 页 共 m 页" knows
//! m), then drawn. Documents are written as PDF/A-2b when every character has a glyph;
//! otherwise (a missing glyph prints as a blank box) as plain PDF 1.7.

mod form;
mod table;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion, Validator};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

pub use form::{Field, Form, render_form};
pub use table::{Column, Table, render};

/// The font compiled into the binary (see the module documentation).
pub const BUILTIN_FONT: &[u8] = include_bytes!("../../fonts/NotoSerifSC-GB2312.otf");

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot read the PDF font {path}: {source}")]
    FontIo {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not an OpenType/TrueType font krilla can embed")]
    BadFont(String),
}

/// What a bureau adapts of its printed forms.
#[derive(Clone)]
pub struct Style {
    /// Red header above a form's title (the unit's name), if any.
    pub header: Option<String>,
    /// Colour of the red header and its rule.
    pub header_rgb: (u8, u8, u8),
    font: Font,
}

impl std::fmt::Debug for Style {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Style")
            .field("header", &self.header)
            .field("header_rgb", &self.header_rgb)
            .finish_non_exhaustive()
    }
}

impl Default for Style {
    fn default() -> Self {
        Self {
            header: None,
            header_rgb: (200, 16, 46),
            font: Font::new(BUILTIN_FONT.into(), 0).expect("the built-in font parses"),
        }
    }
}

impl Style {
    /// The built-in font, or the font file at `path` (index `index` of a collection).
    pub fn with_font(mut self, path: Option<&str>, index: u32) -> Result<Self, PdfError> {
        if let Some(path) = path.filter(|p| !p.trim().is_empty()) {
            let data = std::fs::read(path).map_err(|source| PdfError::FontIo {
                path: path.to_owned(),
                source,
            })?;
            self.font = Font::new(data.into(), index).ok_or(PdfError::BadFont(path.into()))?;
        }
        Ok(self)
    }
}

/// One drawing operation, in points from the page's top-left corner.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        red: bool,
    },
    /// A rectangle, stroked and optionally filled with a grey level.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: Option<u8>,
    },
    /// A horizontal rule.
    Rule {
        x: f32,
        y: f32,
        w: f32,
        width: f32,
        red: bool,
    },
}

pub(crate) fn char_width(c: char, size: f32) -> f32 {
    if (c as u32) < 0x80 { size * 0.55 } else { size }
}

pub(crate) fn text_width(s: &str, size: f32) -> f32 {
    s.chars().map(|c| char_width(c, size)).sum()
}

/// Breaks text into lines no wider than `width` (at any character: Chinese has no spaces).
pub(crate) fn wrap(s: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars().filter(|c| !c.is_control()) {
            let cw = char_width(c, size);
            if w + cw > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    lines
}

/// Now, in UTC, as PDF metadata (PDF/A requires the document's date).
fn now_utc() -> krilla::metadata::DateTime {
    let t = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    krilla::metadata::DateTime::new(t.year() as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

fn rgb_of((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

fn draw(
    style: &Style,
    title: &str,
    (w, h): (f32, f32),
    pages: &[Vec<Op>],
    archival: bool,
) -> Option<Vec<u8>> {
    let mut settings = SerializeSettings::default();
    if archival {
        settings.configuration = ConfigurationBuilder::new()
            .with_version(PdfVersion::Pdf17)
            .set_validator(Validator::A(Archival::A2_B))
            .finish()
            .ok()?;
    }
    let mut doc = Document::new_with(settings);
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_owned())
            .creator("liuhen".into())
            .language("zh-CN".into())
            .creation_date(now_utc()),
    );
    let black = rgb::Color::black();
    let red = rgb_of(style.header_rgb);
    for ops in pages {
        let mut page = doc.start_page_with(PageSettings::from_wh(w, h)?);
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    red: is_red,
                } => {
                    let c = if *is_red { red } else { black };
                    s.set_fill(Some(Fill {
                        paint: c.into(),
                        ..Fill::default()
                    }));
                    s.set_stroke(None);
                    // The CJK fonts' space is a quarter em, too narrow for text extraction
                    // (pdftotext) to see a word break: each space is drawn as two.
                    s.draw_text(
                        Point::from_xy(*x, *y),
                        style.font.clone(),
                        *size,
                        &text.replace(' ', "  "),
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect { x, y, w, h, grey } => {
                    let mut pb = PathBuilder::new();
                    pb.push_rect(Rect::from_xywh(*x, *y, *w, *h)?);
                    let path = pb.finish()?;
                    s.set_fill(grey.map(|g| Fill {
                        paint: rgb::Color::new(g, g, g).into(),
                        ..Fill::default()
                    }));
                    s.set_stroke(Some(Stroke {
                        paint: black.into(),
                        width: 0.5,
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                }
                Op::Rule {
                    x,
                    y,
                    w,
                    width,
                    red: is_red,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x, *y);
                    pb.line_to(x + w, *y);
                    let path = pb.finish()?;
                    s.set_fill(None);
                    s.set_stroke(Some(Stroke {
                        paint: if *is_red { red } else { black }.into(),
                        width: *width,
                        opacity: NormalizedF32::ONE,
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish().ok()
}

/// Draws laid-out pages: PDF/A-2b if the document passes krilla's validator (every glyph
/// present), else plain PDF.
pub(crate) fn finish(style: &Style, title: &str, size: (f32, f32), pages: &[Vec<Op>]) -> Vec<u8> {
    draw(style, title, size, pages, true)
        .or_else(|| draw(style, title, size, pages, false))
        .expect("drawing validated pages with an embedded font cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_in_the_built_in_font_is_pdf_a_2b() {
        let ops = vec![Op::Text {
            x: 50.0,
            y: 50.0,
            size: 9.0,
            text: "第 1 页 共 1 页".into(),
            red: false,
        }];
        let pdf = draw(&Style::default(), "测试", (595.0, 842.0), &[ops], true);
        assert!(
            pdf.is_some(),
            "krilla's PDF/A-2b validator refused the document"
        );
    }

    #[test]
    fn wraps_by_width() {
        assert_eq!(wrap("一二三四五", 16.0, 8.0), vec!["一二", "三四", "五"]);
        // ASCII counts 0.55 em: three letters (13.2) fit in 16, the fourth (17.6) does not.
        assert_eq!(wrap("abcd", 16.0, 8.0), vec!["abc", "d"]);
        assert_eq!(wrap("", 16.0, 8.0), vec![""]);
        assert_eq!(wrap("甲\n乙", 100.0, 8.0), vec!["甲", "乙"]);
    }
}
