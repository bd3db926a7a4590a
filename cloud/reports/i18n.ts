import type { Locale } from '../auth/preferences.ts';

// The reports' words in both languages: titles (title.<report id>), column names (col.<key>) and
// the values of a `status` column (status.<value>). A report file is read by people: its header
// follows the recipient's language (the data — ids, numbers, ISO dates — does not).

const en = {
  'title.stock': 'Stock by item, location and lot',
  'title.expiring-lots': 'Lots near or past expiry',
  'title.reorder-suggestions': 'Reorder suggestions',
  'title.turnover': 'Inventory turnover',
  'title.supplier-on-time': 'Supplier on-time delivery',
  'title.count-accuracy': 'Count accuracy',
  'title.price-trend': 'Purchase price trend',
  'title.stock-value': 'Stock value by lot (moving-average cost)',
  'title.cogs': 'Cost of goods sold by shipment line',
  'col.avgCost': 'average cost', 'col.value': 'value', 'col.at': 'time', 'col.salesOrder': 'sales order', 'col.customer': 'customer',
  'col.unitCost': 'unit cost', 'col.cogs': 'cost of goods', 'col.revenue': 'revenue', 'col.margin': 'margin',
  'col.item': 'item', 'col.name': 'name', 'col.unit': 'unit', 'col.lot': 'lot', 'col.location': 'location', 'col.status': 'lot status',
  'col.expiresOn': 'expires on', 'col.lotOnHand': 'lot on hand', 'col.daysLeft': 'days left', 'col.onHand': 'item on hand', 'col.reserved': 'reserved',
  'col.quarantined': 'quarantined', 'col.expired': 'expired', 'col.available': 'available',
  'col.onOrder': 'on order', 'col.safetyStock': 'safety stock', 'col.reorderPoint': 'reorder point', 'col.suggestedQty': 'suggested qty',
  'col.purchaseOrder': 'draft purchase order',
  'col.avgOnHand': 'avg on hand', 'col.outflow': 'outflow', 'col.turnover': 'turnover', 'col.turnoverDays': 'turnover days',
  'col.supplier': 'supplier', 'col.orders': 'orders', 'col.onTime': 'on time', 'col.late': 'late', 'col.overdue': 'overdue',
  'col.pending': 'pending', 'col.onTimeRate': 'on-time rate', 'col.avgDelayDays': 'avg delay (days)',
  'col.session': 'session', 'col.approvedOn': 'approved on', 'col.lines': 'lines', 'col.exactLines': 'exact lines',
  'col.lineAccuracy': 'line accuracy', 'col.qtyAccuracy': 'quantity accuracy',
  'col.month': 'month', 'col.currency': 'currency', 'col.avgPrice': 'avg price', 'col.minPrice': 'min price', 'col.maxPrice': 'max price', 'col.qty': 'quantity',
  'status.available': 'available', 'status.near_expiry': 'near expiry', 'status.expired': 'expired', 'status.quarantined': 'quarantined', 'status.rejected': 'rejected',
  'pdf.generated': 'Generated (UTC)',
  'mail.subject': 'stockpulse weekly report: {title}',
  'mail.body': '{title} ({rows} rows) is attached as a CSV file (UTF-8, opens in Excel).\nSent every week by a schedule an administrator set up in stockpulse (Reports on the analytics page).',
};

const zh: Record<keyof typeof en, string> = {
  'title.stock': '按物料、库位和批次的库存',
  'title.expiring-lots': '临期和过期批次',
  'title.reorder-suggestions': '补货建议',
  'title.turnover': '库存周转',
  'title.supplier-on-time': '供应商准时交货',
  'title.count-accuracy': '盘点准确率',
  'title.price-trend': '采购价格趋势',
  'title.stock-value': '按批次的库存金额（移动平均成本）',
  'title.cogs': '按发货行的销售成本',
  'col.avgCost': '平均成本', 'col.value': '金额', 'col.at': '时间', 'col.salesOrder': '销售单', 'col.customer': '客户',
  'col.unitCost': '单位成本', 'col.cogs': '销售成本', 'col.revenue': '收入', 'col.margin': '毛利',
  'col.item': '物料', 'col.name': '名称', 'col.unit': '单位', 'col.lot': '批次', 'col.location': '库位', 'col.status': '批次状态',
  'col.expiresOn': '到期日', 'col.lotOnHand': '批次在库', 'col.daysLeft': '剩余天数', 'col.onHand': '物料在库', 'col.reserved': '已预留',
  'col.quarantined': '隔离', 'col.expired': '已过期', 'col.available': '可用',
  'col.onOrder': '在途', 'col.safetyStock': '安全库存', 'col.reorderPoint': '再订货点', 'col.suggestedQty': '建议数量',
  'col.purchaseOrder': '采购订单草稿',
  'col.avgOnHand': '平均在库', 'col.outflow': '出库量', 'col.turnover': '周转次数', 'col.turnoverDays': '周转天数',
  'col.supplier': '供应商', 'col.orders': '订单数', 'col.onTime': '准时', 'col.late': '延迟', 'col.overdue': '逾期',
  'col.pending': '待交货', 'col.onTimeRate': '准时率', 'col.avgDelayDays': '平均延迟（天）',
  'col.session': '盘点单', 'col.approvedOn': '批准日期', 'col.lines': '行数', 'col.exactLines': '无差异行',
  'col.lineAccuracy': '行准确率', 'col.qtyAccuracy': '数量准确率',
  'col.month': '月份', 'col.currency': '币种', 'col.avgPrice': '平均价格', 'col.minPrice': '最低价格', 'col.maxPrice': '最高价格', 'col.qty': '数量',
  'status.available': '可用', 'status.near_expiry': '临期', 'status.expired': '已过期', 'status.quarantined': '隔离', 'status.rejected': '已拒收',
  'pdf.generated': '生成时间（UTC）',
  'mail.subject': 'stockpulse 每周报表：{title}',
  'mail.body': '{title}（{rows} 行）以 CSV 文件附上（UTF-8，可用 Excel 打开）。\n此邮件由管理员在 stockpulse 中设置的计划每周发送（分析页面的“报表”）。',
};

export type ReportWord = keyof typeof en;
export const reportCatalogues: Record<Locale, Record<ReportWord, string>> = { en, 'zh-CN': zh };

export function rt(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  const s = (reportCatalogues[locale] as Record<string, string>)[key] ?? (en as Record<string, string>)[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m));
}

export const hasWord = (key: string): boolean => key in en;
