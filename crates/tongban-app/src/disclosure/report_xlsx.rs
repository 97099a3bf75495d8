//! The annual report as an XLSX workbook laid out as the official tables.

use super::*;
use crate::Error;

/// The report as an XLSX workbook: one sheet in the official layout.
pub fn report_xlsx(r: &AnnualReport) -> Result<Vec<u8>, Error> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| Error::internal(e);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("年度报告").map_err(x)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let label = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let bold = Format::new().set_bold();
    sheet.set_column_width(0, 18).map_err(x)?;
    sheet.set_column_width(1, 16).map_err(x)?;
    sheet.set_column_width(2, 36).map_err(x)?;
    for c in 3..10 {
        sheet.set_column_width(c, 12).map_err(x)?;
    }
    sheet.merge_range(0, 0, 0, 9, &r.title, &title).map_err(x)?;
    let mut row: u32 = 2;
    let para = |sheet: &mut rust_xlsxwriter::Worksheet, row: &mut u32, t: &str, f: Option<&Format>| {
        let res = match f {
            Some(f) => sheet.write_string_with_format(*row, 0, t, f).map(|_| ()),
            None => sheet.write_string(*row, 0, t).map(|_| ()),
        };
        *row += 1;
        res
    };
    para(sheet, &mut row, "一、总体情况", Some(&bold)).map_err(x)?;
    for p in &r.overview {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    row += 1;
    para(sheet, &mut row, "二、主动公开政府信息情况", Some(&bold)).map_err(x)?;
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（一）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    for (i, h) in ["本年制发件数", "本年废止件数", "现行有效件数"].iter().enumerate() {
        let c = 3 + 2 * i as u16;
        sheet.merge_range(row, c, row, c + 1, h, &head).map_err(x)?;
    }
    row += 1;
    for d in &r.documents {
        sheet.merge_range(row, 0, row, 2, &d.label, &label).map_err(x)?;
        for (i, v) in [d.issued, d.repealed, d.in_force].iter().enumerate() {
            let c = 3 + 2 * i as u16;
            sheet.merge_range(row, c, row, c + 1, "", &num).map_err(x)?;
            sheet.write_number_with_format(row, c, *v as f64, &num).map_err(x)?;
        }
        row += 1;
    }
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（五）项、第（六）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    sheet
        .merge_range(row, 3, row, 9, "本年处理决定数量", &head)
        .map_err(x)?;
    row += 1;
    for d in &r.decisions {
        sheet.merge_range(row, 0, row, 2, &d.label, &label).map_err(x)?;
        sheet.merge_range(row, 3, row, 9, "", &num).map_err(x)?;
        sheet
            .write_number_with_format(row, 3, d.count as f64, &num)
            .map_err(x)?;
        row += 1;
    }
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（八）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    sheet
        .merge_range(row, 3, row, 9, "本年收费金额（单位：万元）", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "行政事业性收费", &label).map_err(x)?;
    sheet.merge_range(row, 3, row, 9, "", &num).map_err(x)?;
    sheet
        .write_number_with_format(row, 3, r.fees_wan_yuan, &num)
        .map_err(x)?;
    row += 2;
    para(sheet, &mut row, "按政务公开标准目录主动公开信息条数", Some(&bold)).map_err(x)?;
    for (c, h) in ["一级事项", "二级事项", "目录编码", "主动公开条数"].iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &head).map_err(x)?;
    }
    row += 1;
    for p in &r.published {
        sheet.write_string_with_format(row, 0, &p.level1, &label).map_err(x)?;
        sheet.write_string_with_format(row, 1, &p.level2, &label).map_err(x)?;
        sheet
            .write_string_with_format(row, 2, &p.catalog_code, &label)
            .map_err(x)?;
        sheet
            .write_number_with_format(row, 3, p.count as f64, &num)
            .map_err(x)?;
        row += 1;
    }
    sheet.merge_range(row, 0, row, 2, "合计", &head).map_err(x)?;
    sheet
        .write_number_with_format(row, 3, r.published_total as f64, &num)
        .map_err(x)?;
    row += 2;

    para(sheet, &mut row, "三、收到和处理政府信息公开申请情况", Some(&bold)).map_err(x)?;
    sheet
        .merge_range(
            row,
            0,
            row + 2,
            2,
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
            &head,
        )
        .map_err(x)?;
    sheet.merge_range(row, 3, row, 9, "申请人情况", &head).map_err(x)?;
    sheet.merge_range(row + 1, 3, row + 2, 3, "自然人", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 4, row + 1, 8, "法人或其他组织", &head)
        .map_err(x)?;
    for (i, h) in r.columns[1..6].iter().enumerate() {
        sheet
            .write_string_with_format(row + 2, 4 + i as u16, h, &head)
            .map_err(x)?;
    }
    sheet.merge_range(row + 1, 9, row + 2, 9, "总计", &head).map_err(x)?;
    row += 3;
    for rr in &r.requests {
        for (col, l) in (0_u16..).zip(rr.labels.iter()) {
            if let Some(l) = l {
                let (r2, c2) = (row + l.rowspan - 1, col + l.colspan as u16 - 1);
                if r2 > row || c2 > col {
                    sheet.merge_range(row, col, r2, c2, &l.text, &label).map_err(x)?;
                } else {
                    sheet.write_string_with_format(row, col, &l.text, &label).map_err(x)?;
                }
            }
        }
        for (i, v) in rr.cells.iter().enumerate() {
            sheet
                .write_number_with_format(row, 3 + i as u16, *v as f64, &num)
                .map_err(x)?;
        }
        row += 1;
    }
    row += 1;
    para(sheet, &mut row, "四、政府信息公开行政复议、行政诉讼情况", Some(&bold)).map_err(x)?;
    sheet.merge_range(row, 0, row, 4, "行政复议", &head).map_err(x)?;
    sheet.merge_range(row, 5, row, 14, "行政诉讼", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 0, row + 2, 0, "结果维持", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 1, row + 2, 1, "结果纠正", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 2, row + 2, 2, "其他结果", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 3, row + 2, 3, "尚未审结", &head)
        .map_err(x)?;
    sheet.merge_range(row + 1, 4, row + 2, 4, "总计", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 5, row + 1, 9, "未经复议直接起诉", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 10, row + 1, 14, "复议后起诉", &head)
        .map_err(x)?;
    for i in 0..2u16 {
        for (j, h) in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string_with_format(row + 2, 5 + i * 5 + j as u16, *h, &head)
                .map_err(x)?;
        }
    }
    for (i, v) in r.appeals.iter().enumerate() {
        sheet
            .write_number_with_format(row + 3, i as u16, *v as f64, &num)
            .map_err(x)?;
    }
    row += 5;
    para(sheet, &mut row, "五、存在的主要问题及改进情况", Some(&bold)).map_err(x)?;
    for p in &r.problems {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    row += 1;
    para(sheet, &mut row, "六、其他需要报告的事项", Some(&bold)).map_err(x)?;
    for p in &r.other_matters {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    book.save_to_buffer().map_err(x)
}
