//! A small PDF writer for printable tables in Chinese: A4 landscape, a title, header lines,
//! a ruled table whose header repeats on every page, and "第 n 页 共 m 页" footers.
//!
//! The text uses the standard CJK font STSong-Light with the UniGB-UCS2-H encoding, not
//! embedded (as iText does): PDF readers supply it (Acrobat's Asian font pack, poppler-data,
//! pdf.js), so the file stays small and needs no font files here. Characters outside the
//! Basic Multilingual Plane are printed as `?`.

use std::fmt::Write as _;

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
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

fn char_width(c: char, size: f32) -> f32 {
    if (c as u32) < 0x80 { size * 0.5 } else { size }
}

fn text_width(s: &str, size: f32) -> f32 {
    s.chars().map(|c| char_width(c, size)).sum()
}

/// Breaks text into lines no wider than `width` (at any character: Chinese has no spaces).
fn wrap(s: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
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

/// The string as a PDF hex string in UCS-2 big-endian.
fn hex_ucs2(s: &str) -> String {
    let mut out = String::from("<");
    for c in s.chars() {
        let c = if (c as u32) > 0xFFFF || c.is_control() {
            '?'
        } else {
            c
        };
        let mut buf = [0u16; 1];
        c.encode_utf16(&mut buf);
        let _ = write!(out, "{:04X}", buf[0]);
    }
    out.push('>');
    out
}

fn text_at(out: &mut String, x: f32, y: f32, size: f32, s: &str) {
    let _ = writeln!(
        out,
        "BT /F1 {size} Tf {x:.2} {y:.2} Td {} Tj ET",
        hex_ucs2(s)
    );
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

/// Draws one table row (cells already wrapped) with its top at `top`; returns its height.
fn draw_row(out: &mut String, l: &Layout, cells: &[Vec<String>], top: f32, bold: bool) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = lines as f32 * LINE + 2.0 * PAD;
    if bold {
        let _ = writeln!(
            out,
            "0.9 g {:.2} {:.2} {:.2} {h:.2} re f 0 g",
            MARGIN,
            top - h,
            PAGE_W - 2.0 * MARGIN
        );
    }
    for (i, cell) in cells.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:.2} {:.2} {:.2} {h:.2} re S",
            l.xs[i],
            top - h,
            l.widths[i]
        );
        for (n, line) in cell.iter().enumerate() {
            let y = top - PAD - (n as f32 + 1.0) * LINE + 2.0;
            text_at(out, l.xs[i] + PAD, y, CELL_SIZE, line);
        }
    }
    h
}

/// Renders the table to PDF bytes.
pub fn render(table: &Table) -> Vec<u8> {
    let l = layout(&table.columns);
    let wrap_row = |cells: &[String]| -> Vec<Vec<String>> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| wrap(c, l.widths[i] - 2.0 * PAD, CELL_SIZE))
            .collect()
    };
    let headers: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
    let header_cells = wrap_row(&headers);
    let footer_space = 24.0;

    // Page contents without footers (the page count is known only at the end).
    let mut pages: Vec<String> = Vec::new();
    let mut page = String::new();
    let start_page = |page: &mut String, first: bool| -> f32 {
        page.push_str("0.5 w 0 G 0 g\n");
        let mut y = PAGE_H - MARGIN;
        if first {
            y -= TITLE_SIZE;
            let x = (PAGE_W - text_width(&table.title, TITLE_SIZE)) / 2.0;
            text_at(page, x, y, TITLE_SIZE, &table.title);
            y -= 8.0;
            for info in &table.info {
                y -= INFO_SIZE + 3.0;
                text_at(page, MARGIN, y, INFO_SIZE, info);
            }
            y -= 8.0;
        } else {
            y -= INFO_SIZE;
            text_at(page, MARGIN, y, INFO_SIZE, &table.title);
            y -= 6.0;
        }
        y - draw_row(page, &l, &header_cells, y, true)
    };
    let mut y = start_page(&mut page, true);
    if table.rows.is_empty() {
        text_at(
            &mut page,
            MARGIN + PAD,
            y - LINE - PAD,
            CELL_SIZE,
            &table.empty,
        );
    }
    for row in &table.rows {
        let cells = wrap_row(row);
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * LINE + 2.0 * PAD;
        if y - h < MARGIN + footer_space {
            pages.push(std::mem::take(&mut page));
            y = start_page(&mut page, false);
        }
        y -= draw_row(&mut page, &l, &cells, y, false);
    }
    pages.push(page);

    let total = pages.len();
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, then (page, content) pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..total).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {total} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
         /DescendantFonts [4 0 R] >>"
            .into(),
    );
    objects.push(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> \
         /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>"
            .into(),
    );
    objects.push(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 \
         /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 \
         /CapHeight 880 /StemV 93 >>"
            .into(),
    );
    for (i, mut content) in pages.into_iter().enumerate() {
        let footer = format!("第 {} 页 共 {total} 页", i + 1);
        let x = (PAGE_W - text_width(&footer, INFO_SIZE)) / 2.0;
        text_at(&mut content, x, MARGIN - 12.0, INFO_SIZE, &footer);
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            7 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }

    let mut pdf: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(tail, "{o:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(tail.as_bytes());
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_width_and_encodes_ucs2() {
        assert_eq!(wrap("一二三四五", 16.0, 8.0), vec!["一二", "三四", "五"]);
        assert_eq!(wrap("abcd", 16.0, 8.0), vec!["abcd"]);
        assert_eq!(wrap("", 16.0, 8.0), vec![""]);
        assert_eq!(hex_ucs2("登A"), "<767B0041>");
        assert_eq!(hex_ucs2("😀"), "<003F>");
    }

    #[test]
    fn pages_break_and_xref_points_at_objects() {
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
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type /Page ").count();
        assert!(pages > 3, "{pages} pages");
        assert!(text.contains(&format!("/Count {pages}")));
        // Every xref offset starts an object.
        let xref_at = text.rfind("xref\n").unwrap();
        for (n, line) in text[xref_at..].lines().skip(3).take(5).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            let want = format!("{} 0 obj", n + 1);
            assert!(pdf[off..].starts_with(want.as_bytes()), "{line}");
        }
    }
}
