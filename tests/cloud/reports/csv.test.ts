import { describe, expect, it } from 'vitest';
import { reportCsv, reportFileName } from '../../../cloud/reports/csv.ts';
import { CSV_BOM, csvCell, csvText } from '../../../protocols/csv/csv.js';
import { reportCatalogues } from '../../../cloud/reports/i18n.ts';
import { reports } from '../../../cloud/reports/registry.ts';
import { reportRoles } from '../../../cloud/reports/report.ts';

// The report CSV, byte for byte: BOM, RFC 4180 quoting (commas, quotes, line breaks), formula
// guard, Chinese text in UTF-8, CRLF line ends; and the one rule the browser downloads share.

describe('report CSV', () => {
  it('exact content: BOM, header in the language, quoting of commas, quotes and newlines, zh text, numbers plain', () => {
    const table = {
      columns: ['item', 'name', 'lot', 'status', 'onHand'],
      rows: [
        ['YOG', 'Yoghurt, plain', 'L1', 'near_expiry', 12.5],
        ['MLK', 'Milk "fresh"', 'L2\nsecond line', 'available', -3],
        ['TOFU', '豆腐 (嫩)', null, 'quarantined', 0],
        ['EVIL', '=HYPERLINK("x")', '', 'expired', 1e-6],
      ],
    };
    const csv = reportCsv(table, 'en');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toBe(CSV_BOM + [
      'item,name,lot,lot status,item on hand',
      'YOG,"Yoghurt, plain",L1,near expiry,12.5',
      'MLK,"Milk ""fresh""","L2\nsecond line",available,-3',
      'TOFU,豆腐 (嫩),,quarantined,0',
      'EVIL,"\'=HYPERLINK(""x"")",,expired,0.000001',
    ].join('\r\n') + '\r\n');
    const zh = reportCsv(table, 'zh-CN');
    expect(zh.split('\r\n')[0]).toBe(`${CSV_BOM}物料,名称,批次,批次状态,物料在库`);
    expect(zh.split('\r\n')[1]).toBe('YOG,"Yoghurt, plain",L1,临期,12.5');
    // as bytes: EF BB BF, then UTF-8
    const bytes = Buffer.from(zh, 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('豆腐 (嫩)');
  });

  it('one quoting rule: the shared cell quotes exactly what needs it', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('x\r\ny')).toBe('"x\r\ny"');
    expect(csvCell('+1 shelf')).toBe("'+1 shelf");
    expect(csvCell(-12)).toBe('-12');
    expect(csvCell(undefined)).toBe('');
    expect(csvText([['a', 1], ['b', null]])).toBe('a,1\r\nb,\r\n');
    expect(reportFileName('stock', new Date('2026-12-06T23:59:00Z'))).toBe('stock_2026-12-06.csv');
  });

  it('every registered report has a title and column names in both languages, and roles from the permission matrix', () => {
    for (const r of reports) {
      for (const l of ['en', 'zh-CN'] as const) expect((reportCatalogues[l] as Record<string, string>)[`title.${r.id}`], `${l} title.${r.id}`).toBeTruthy();
      expect(reportRoles(r)).toContain('admin');
    }
    expect(Object.keys(reportCatalogues['zh-CN']).sort()).toEqual(Object.keys(reportCatalogues.en).sort());
    expect(reportRoles(reports.find((r) => r.id === 'price-trend')!).sort()).toEqual(['admin', 'finance', 'purchasing']);
  });
});
