//! Printable tables in Chinese: A4 landscape, a title (under the red header, if the style
//! has one), info lines, a ruled table whose header repeats on every page, and
//! "第 n 页 共 m 页" footers. Used by the access register and the compliance report.

use super::{Op, Style, finish, text_width, wrap};

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
const HEADER_SIZE: f32 = 20.0;
const TITLE_SIZE: f32 = 16.0;
const INFO_SIZE: f32 = 9.0;
const CELL_SIZE: f32 = 8.0;
const LINE: f32 = 10.5;
const PAD: f32 = 3.0;

pub struct Column {
    pub header: String,
    /// Share of the table's width (the shares are normalised).
    pub weight: f32,
}

pub struct Table {
    pub title: String,
    /// Lines under the title (unit, period, filter, when printed).
    pub info: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Shown when there are no rows.
    pub empty: String,
}

struct Layout {
    xs: Vec<f32>,
    widths: Vec<f32>,
}

fn layout(columns: &[Column]) -> Layout {
    let total: f32 = columns.iter().map(|c| c.weight.max(0.1)).sum();
    let avail = PAGE_W - 2.0 * MARGIN;
    let widths: Vec<f32> = columns
        .iter()
        .map(|c| avail * c.weight.max(0.1) / total)
        .collect();
    let mut xs = Vec::with_capacity(widths.len());
    let mut x = MARGIN;
    for w in &widths {
        xs.push(x);
        x += w;
    }
    Layout { xs, widths }
}

fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, s: &str) {
    ops.push(Op::Text {
        x,
        y,
        size,
        text: s.to_owned(),
        red: false,
    });
}

/// Draws one table row (cells already wrapped) with its top at `top`; returns its height.
fn draw_row(ops: &mut Vec<Op>, l: &Layout, cells: &[Vec<String>], top: f32, head: bool) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = lines as f32 * LINE + 2.0 * PAD;
    for (i, cell) in cells.iter().enumerate() {
        ops.push(Op::Rect {
            x: l.xs[i],
            y: top,
            w: l.widths[i],
            h,
            grey: head.then_some(230),
        });
        for (n, line) in cell.iter().enumerate() {
            let y = top + PAD + (n as f32 + 1.0) * LINE - 2.0;
            text(ops, l.xs[i] + PAD, y, CELL_SIZE, line);
        }
    }
    h
}

/// Renders the table to PDF bytes with the built-in font and no red header.
pub fn render(table: &Table) -> Vec<u8> {
    render_styled(&Style::default(), table)
}

impl Table {
    /// Renders the table with a bureau's style.
    pub fn render_with(&self, style: &Style) -> Vec<u8> {
        render_styled(style, self)
    }
}

fn render_styled(style: &Style, table: &Table) -> Vec<u8> {
    let l = layout(&table.columns);
    let wrap_row = |cells: &[String]| -> Vec<Vec<String>> {
        cells
            .iter()
            .enumerate()
            .take(l.widths.len())
            .map(|(i, c)| wrap(c, l.widths[i] - 2.0 * PAD, CELL_SIZE))
            .collect()
    };
    let headers: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
    let header_cells = wrap_row(&headers);
    let footer_space = 24.0;

    let mut pages: Vec<Vec<Op>> = Vec::new();
    let mut page = Vec::new();
    let start_page = |page: &mut Vec<Op>, first: bool| -> f32 {
        let mut y = MARGIN;
        if first {
            if let Some(header) = &style.header {
                y += HEADER_SIZE;
                page.push(Op::Text {
                    x: (PAGE_W - text_width(header, HEADER_SIZE)) / 2.0,
                    y,
                    size: HEADER_SIZE,
                    text: header.clone(),
                    red: true,
                });
                y += 8.0;
                page.push(Op::Rule {
                    x: MARGIN,
                    y,
                    w: PAGE_W - 2.0 * MARGIN,
                    width: 1.5,
                    red: true,
                });
                y += 8.0;
            }
            y += TITLE_SIZE;
            let x = (PAGE_W - text_width(&table.title, TITLE_SIZE)) / 2.0;
            text(page, x, y, TITLE_SIZE, &table.title);
            y += 8.0;
            for info in &table.info {
                y += INFO_SIZE + 3.0;
                text(page, MARGIN, y, INFO_SIZE, info);
            }
            y += 8.0;
        } else {
            y += INFO_SIZE;
            text(page, MARGIN, y, INFO_SIZE, &table.title);
            y += 6.0;
        }
        y + draw_row(page, &l, &header_cells, y, true)
    };
    let mut y = start_page(&mut page, true);
    if table.rows.is_empty() {
        text(
            &mut page,
            MARGIN + PAD,
            y + LINE + PAD,
            CELL_SIZE,
            &table.empty,
        );
    }
    for row in &table.rows {
        let cells = wrap_row(row);
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * LINE + 2.0 * PAD;
        if y + h > PAGE_H - MARGIN - footer_space {
            pages.push(std::mem::take(&mut page));
            y = start_page(&mut page, false);
        }
        y += draw_row(&mut page, &l, &cells, y, false);
    }
    pages.push(page);

    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        let footer = format!("第 {} 页 共 {total} 页", i + 1);
        let x = (PAGE_W - text_width(&footer, INFO_SIZE)) / 2.0;
        text(ops, x, PAGE_H - MARGIN + 12.0, INFO_SIZE, &footer);
    }
    finish(style, &table.title, (PAGE_W, PAGE_H), &pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_break_and_repeat_the_header() {
        let table = Table {
            title: "测试表".into(),
            info: vec!["单位：甲局".into()],
            columns: vec![
                Column {
                    header: "序号".into(),
                    weight: 1.0,
                },
                Column {
                    header: "内容".into(),
                    weight: 4.0,
                },
            ],
            rows: (0..200)
                .map(|i| vec![i.to_string(), "内容".repeat(i % 7 + 1)])
                .collect(),
            empty: "无".into(),
        };
        let pdf = render(&table);
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
