//! Printable forms: A4 portrait, the bureau's red header, a title, a two-column ruled table
//! of labelled fields (label | value, wrapped, breaking across pages), free paragraphs,
//! and signature lines for hand signing. Used for the copy statement (文字说明材料), the
//! disc-burn record form (刻盘存储记录表) and a package's manifest.

use super::{Op, Style, finish, text_width, wrap};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const HEADER_SIZE: f32 = 22.0;
const TITLE_SIZE: f32 = 16.0;
const INFO_SIZE: f32 = 9.0;
const CELL_SIZE: f32 = 10.0;
const LINE: f32 = 13.0;
const PAD: f32 = 4.0;
const LABEL_SHARE: f32 = 0.26;

/// One labelled field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub value: String,
}

impl Field {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A printable form.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub title: String,
    /// Lines under the title (document number, when printed).
    pub info: Vec<String>,
    pub fields: Vec<Field>,
    /// Paragraphs after the fields.
    pub notes: Vec<String>,
    /// Who signs by hand, one line each (e.g. "制作人", "部门负责人").
    pub signatures: Vec<String>,
}

struct Pager {
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
}

impl Pager {
    fn need(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN - 20.0 {
            self.pages.push(std::mem::take(&mut self.ops));
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, s: &str) {
        self.ops.push(Op::Text {
            x,
            y: self.y,
            size,
            text: s.to_owned(),
            red: false,
        });
    }
}

/// Renders a form with a bureau's style.
pub fn render_form(style: &Style, form: &Form) -> Vec<u8> {
    let width = PAGE_W - 2.0 * MARGIN;
    let label_w = width * LABEL_SHARE;
    let value_w = width - label_w;
    let mut p = Pager {
        pages: Vec::new(),
        ops: Vec::new(),
        y: MARGIN,
    };
    if let Some(header) = &style.header {
        p.y += HEADER_SIZE;
        p.ops.push(Op::Text {
            x: (PAGE_W - text_width(header, HEADER_SIZE)) / 2.0,
            y: p.y,
            size: HEADER_SIZE,
            text: header.clone(),
            red: true,
        });
        p.y += 10.0;
        p.ops.push(Op::Rule {
            x: MARGIN,
            y: p.y,
            w: width,
            width: 2.0,
            red: true,
        });
        p.y += 10.0;
    }
    p.y += TITLE_SIZE;
    for line in wrap(&form.title, width, TITLE_SIZE) {
        p.text(
            (PAGE_W - text_width(&line, TITLE_SIZE)) / 2.0,
            TITLE_SIZE,
            &line,
        );
        p.y += TITLE_SIZE + 4.0;
    }
    for info in &form.info {
        p.y += INFO_SIZE + 2.0;
        p.text(MARGIN, INFO_SIZE, info);
    }
    p.y += 10.0;
    for f in &form.fields {
        let label = wrap(&f.label, label_w - 2.0 * PAD, CELL_SIZE);
        let value = wrap(&f.value, value_w - 2.0 * PAD, CELL_SIZE);
        let lines = label.len().max(value.len()).max(1);
        let h = lines as f32 * LINE + 2.0 * PAD;
        p.need(h);
        let top = p.y;
        p.ops.push(Op::Rect {
            x: MARGIN,
            y: top,
            w: label_w,
            h,
            grey: Some(240),
        });
        p.ops.push(Op::Rect {
            x: MARGIN + label_w,
            y: top,
            w: value_w,
            h,
            grey: None,
        });
        for (col_x, cell) in [(MARGIN, &label), (MARGIN + label_w, &value)] {
            for (n, line) in cell.iter().enumerate() {
                p.y = top + PAD + (n as f32 + 1.0) * LINE - 3.0;
                p.text(col_x + PAD, CELL_SIZE, line);
            }
        }
        p.y = top + h;
    }
    for note in &form.notes {
        p.y += 6.0;
        for line in wrap(note, width, CELL_SIZE) {
            p.need(LINE);
            p.y += LINE;
            p.text(MARGIN, CELL_SIZE, &line);
        }
    }
    if !form.signatures.is_empty() {
        p.y += 12.0;
    }
    for who in &form.signatures {
        p.need(30.0);
        p.y += 26.0;
        let line = format!("{who}（签名）：____________________    日期：________年____月____日");
        p.text(MARGIN, CELL_SIZE, &line);
    }
    p.pages.push(p.ops);
    let total = p.pages.len();
    for (i, ops) in p.pages.iter_mut().enumerate() {
        let footer = format!("第 {} 页 共 {total} 页", i + 1);
        ops.push(Op::Text {
            x: (PAGE_W - text_width(&footer, INFO_SIZE)) / 2.0,
            y: PAGE_H - MARGIN + 16.0,
            size: INFO_SIZE,
            text: footer,
            red: false,
        });
    }
    finish(style, &form.title, (PAGE_W, PAGE_H), &p.pages)
}
