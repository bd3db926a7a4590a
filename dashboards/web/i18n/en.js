// English message catalogue of the web UI. Keys: page.part.thing. Every key here is also in
// zh-CN.js with the same {placeholders} (tests/dashboards/i18n-catalogue.test.ts checks both ways).
import stock from './stock.en.js';
import masterData from './master-data.en.js';
import documents from './documents.en.js';
import tasks from './tasks.en.js';
import scan from './scan.en.js';
import passport from './passport.en.js';
import planning from './planning.en.js';
import panels from './panels.en.js';
import dashboard from './dashboard.en.js';
import alerts from './alerts.en.js';
import value from './value.en.js';
import opsPanels from './ops-panels.en.js';
import reports from './reports.en.js';

export default {
  // each page keeps its words in its own file (PAGE.en.js), spread here
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

  'common.language': 'Language',
  'common.updated': 'updated {time}',
  'common.notUpdated': 'not updated yet',
  'common.notUpdatedBecause': 'not updated: {reason}',
  'common.backToColdChain': '← cold chain',
  'common.none': '—',
  'common.loading': 'Loading…',
  'common.nothingToDo': 'nothing to do',
  'common.yourRole': '(your role)',

  // errors: what a person reads for a coded API error (the code stays in logs and scripts)
  'error.unreachable': 'Cannot reach the server, retrying…',
  'error.signInExpired': 'Sign-in expired: this token is unknown or revoked. Paste a new one.',
  'error.withReason': '{reason}',
  'error.serverAnswered': 'The server answered {status}.',
  'error.SP_ERR_CONFIG': 'The configuration is not valid; the message names the setting to fix.',
  'error.SP_ERR_CONFLICT': 'Someone else changed this first; reload and try again.',
  'error.SP_ERR_DB': 'The database refused the change; try again, and tell the administrator if it repeats.',
  'error.SP_ERR_FONT_MISSING': 'The server lacks the Chinese font for PDFs (Debian package fonts-noto-cjk); ask the administrator, or export CSV meanwhile.',
  'error.SP_ERR_DECODE': 'A device sent a frame that could not be read; it was kept in the dead-letter store.',
  'error.SP_ERR_DELIVERY': 'A notification could not be delivered; it will be retried.',
  'error.SP_ERR_DEVICE': 'A device did not answer as expected.',
  'error.SP_ERR_FORBIDDEN': 'Your role may not see or do this.',
  'error.SP_ERR_GATEWAY_REFUSED': 'The gateway may not send this.',
  'error.SP_ERR_GATEWAY_UNKNOWN': 'This gateway is not registered or was revoked.',
  'error.SP_ERR_INPUT': 'The input is not valid.',
  'error.SP_ERR_INTERNAL': 'The server hit an internal error; it is in the cloud log.',
  'error.SP_ERR_LOT_EXPIRED': 'This lot has expired and may not be shipped or used.',
  'error.SP_ERR_MODBUS_MAP': 'The Modbus register map is not valid.',
  'error.SP_ERR_MODBUS_REGISTERS': 'The Modbus device answered with unexpected registers.',
  'error.SP_ERR_NOT_FOUND': 'Not found.',
  'error.SP_ERR_RESERVED': 'This stock is reserved for another order.',
  'error.SP_ERR_TOO_LARGE': 'The request is too large.',
  'error.SP_ERR_UNAUTHENTICATED': 'Not signed in: paste an API token to sign in.',
  'error.SP_ERR_UNKNOWN_PROTOCOL': 'This device protocol is not known.',
  'error.SP_ERR_UPLINK_BATCH': 'A gateway batch was refused.',
  'error.SP_ERR_UPLINK_SEQ_CONFLICT': 'A gateway sent a batch number twice with different content.',
  'error.SP_ERR_UPLINK_STREAM_REVOKED': "This gateway's stream was revoked.",
  'error.SP_ERR_VALIDATION': 'Some fields are not valid.',

  // lot states, document types and states, roles: shown wherever they appear
  'lotStatus.available': 'available',
  'lotStatus.quarantined': 'quarantined',
  'lotStatus.rejected': 'rejected',
  'lotStatus.expired': 'expired',
  'lotStatus.consumed': 'used up',
  'docType.purchase_order': 'purchase order',
  'docType.sales_order': 'sales order',
  'docType.return': 'return',
  'docType.count_session': 'stock count',
  'docType.lot': 'lot',
  'role.admin': 'admin',
  'role.warehouse': 'warehouse',
  'role.purchasing': 'purchasing',
  'role.sales': 'sales',
  'role.finance': 'finance',
  'role.qa': 'QA',
  'role.viewer': 'viewer',
  'role.device': 'device',
};
