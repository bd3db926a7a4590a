// 库存页面的文字（中文）。
export default {
  'stock.title': 'stockpulse · 库存',
  'stock.heading': '库存与可承诺量',
  'stock.explain': '可用 = 在库 − 预留 − 隔离 − 过期 − 受保护的渠道配额。点击商品查看批次。',
  'stock.col.item': '商品',
  'stock.col.onHand': '在库',
  'stock.col.reserved': '预留',
  'stock.col.quarantined': '隔离',
  'stock.col.expired': '过期',
  'stock.col.protected': '受保护',
  'stock.col.available': '可用',
  'stock.noLot': '（无批次）',
  'stock.expires': '{day} 到期',
  'stock.noItems': '暂无商品',
  'stock.tasks': '待办任务',
  'stock.taskLine': '{role} · {document} {id}（{status}）· {time}',
};
