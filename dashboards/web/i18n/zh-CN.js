// 网页界面的中文消息目录。每个键都必须在 en.js 中存在，占位符 {…} 相同
// (tests/dashboards/i18n-catalogue.test.ts 双向检查)。
import stock from './stock.zh-CN.js';
import masterData from './master-data.zh-CN.js';
import documents from './documents.zh-CN.js';
import tasks from './tasks.zh-CN.js';
import scan from './scan.zh-CN.js';
import passport from './passport.zh-CN.js';
import planning from './planning.zh-CN.js';
import panels from './panels.zh-CN.js';
import dashboard from './dashboard.zh-CN.js';
import alerts from './alerts.zh-CN.js';
import value from './value.zh-CN.js';
import opsPanels from './ops-panels.zh-CN.js';
import reports from './reports.zh-CN.js';

export default {
  // each page keeps its words in its own file (PAGE.zh-CN.js), spread here
  ...stock,
  ...masterData,
  ...documents,
  ...tasks,
  ...scan,
  ...passport,
  ...planning,
  ...panels,
  ...dashboard,
  ...alerts,
  ...value,
  ...opsPanels,
  ...reports,

  'common.language': '语言',
  'common.updated': '更新于 {time}',
  'common.notUpdated': '尚未更新',
  'common.notUpdatedBecause': '未更新：{reason}',
  'common.backToColdChain': '← 冷链',
  'common.none': '—',
  'common.loading': '加载中…',
  'common.nothingToDo': '暂无待办',
  'common.yourRole': '（您的角色）',

  'error.unreachable': '无法连接服务器，正在重试…',
  'error.signInExpired': '登录已失效：此令牌未知或已被撤销，请粘贴新的令牌。',
  'error.withReason': '{message}（{field}：{reason}）',
  'error.serverAnswered': '服务器返回 {status}。',
  'error.SP_ERR_CONFIG': '配置无效；消息中写明了需要修改的设置项。',
  'error.SP_ERR_CONFLICT': '他人已先修改了此内容；请刷新后重试。',
  'error.SP_ERR_DB': '数据库拒绝了此次修改；请重试，如反复出现请联系管理员。',
  'error.SP_ERR_FONT_MISSING': '服务器缺少生成 PDF 所需的中文字体（Debian 软件包 fonts-noto-cjk）；请联系管理员，或先导出 CSV。',
  'error.SP_ERR_DECODE': '设备发送了无法解析的报文，已保存到死信库。',
  'error.SP_ERR_DELIVERY': '通知未能送达，稍后将重试。',
  'error.SP_ERR_DEVICE': '设备的应答不符合预期。',
  'error.SP_ERR_FORBIDDEN': '您的角色无权查看或执行此操作。',
  'error.SP_ERR_GATEWAY_REFUSED': '该网关无权发送此内容。',
  'error.SP_ERR_GATEWAY_UNKNOWN': '该网关未注册或已被撤销。',
  'error.SP_ERR_INPUT': '输入无效。',
  'error.SP_ERR_INTERNAL': '服务器内部错误，详情见云端日志。',
  'error.SP_ERR_LOT_EXPIRED': '该批次已过期，不能发货或使用。',
  'error.SP_ERR_MODBUS_MAP': 'Modbus 寄存器映射无效。',
  'error.SP_ERR_MODBUS_REGISTERS': 'Modbus 设备返回了意外的寄存器。',
  'error.SP_ERR_NOT_FOUND': '未找到。',
  'error.SP_ERR_RESERVED': '该库存已为其他订单预留。',
  'error.SP_ERR_TOO_LARGE': '请求过大。',
  'error.SP_ERR_UNAUTHENTICATED': '未登录：请粘贴 API 令牌登录。',
  'error.SP_ERR_UNKNOWN_PROTOCOL': '未知的设备协议。',
  'error.SP_ERR_UPLINK_BATCH': '网关上传的批次被拒绝。',
  'error.SP_ERR_UPLINK_SEQ_CONFLICT': '网关以相同序号发送了内容不同的批次。',
  'error.SP_ERR_UPLINK_STREAM_REVOKED': '该网关的数据流已被撤销。',
  'error.SP_ERR_VALIDATION': '部分字段无效。',

  'lotStatus.available': '可用',
  'lotStatus.quarantined': '隔离',
  'lotStatus.rejected': '拒收',
  'lotStatus.expired': '过期',
  'lotStatus.consumed': '已用完',
  'docType.purchase_order': '采购单',
  'docType.sales_order': '销售单',
  'docType.return': '退货单',
  'docType.count_session': '盘点单',
  'docType.lot': '批次',
  'role.admin': '管理员',
  'role.warehouse': '仓库',
  'role.purchasing': '采购',
  'role.sales': '销售',
  'role.finance': '财务',
  'role.qa': '质检',
  'role.viewer': '只读',
  'role.device': '设备',
};
