// What each master-data tab lists and edits: the API paths, the key, the form fields (labels
// are md.f.NAME in the catalogues) and the list columns. Field names are the API's, so a coded
// error's details[].field ("body.shelfLifeDays") finds its input. Types: text, int, num, money
// (typed in major units, sent as integer minor units), bool, select (options or a loader).

export const STORAGE_PROFILES = ['ambient', 'chilled', 'frozen'];

export const ENTITIES = {
  items: {
    key: 'sku', path: '/api/items', auditEntity: 'item',
    fields: [
      { name: 'sku', type: 'text', required: true, createOnly: true },
      { name: 'name', type: 'text', required: true },
      { name: 'unit', type: 'text', required: true, default: 'pcs' },
      { name: 'gtin', type: 'text', nullable: true },
      { name: 'storageProfile', type: 'select', nullable: true, options: () => STORAGE_PROFILES.map((p) => ({ value: p, labelKey: `md.profile.${p}` })) },
      { name: 'shelfLifeDays', type: 'int', nullable: true },
      { name: 'expiryAlertDays', type: 'int', nullable: true },
      { name: 'leadTimeDays', type: 'int', nullable: true },
      { name: 'safetyStock', type: 'num', default: 0 },
      { name: 'pieceWeight', type: 'num', nullable: true },
      { name: 'preferredSupplier', type: 'select', nullable: true, source: '/api/suppliers' },
      { name: 'costMinor', type: 'money', nullable: true, cost: true },
      { name: 'currency', type: 'text', default: 'EUR', cost: true },
      { name: 'lotTracked', type: 'bool' },
      { name: 'allowNegative', type: 'bool' },
    ],
    columns: ['sku', 'name', 'unit', 'storageProfile', 'shelfLifeDays', 'safetyStock', 'leadTimeDays', 'preferredSupplier', 'costMinor'],
  },
  suppliers: {
    key: 'id', path: '/api/suppliers', auditEntity: 'supplier',
    fields: [{ name: 'id', type: 'text', required: true, createOnly: true }, { name: 'name', type: 'text', required: true }],
    columns: ['id', 'name'],
  },
  customers: {
    key: 'id', path: '/api/customers', auditEntity: 'customer',
    fields: [{ name: 'id', type: 'text', required: true, createOnly: true }, { name: 'name', type: 'text', required: true }],
    columns: ['id', 'name'],
  },
  locations: {
    key: 'id', path: '/api/locations', auditEntity: 'location',
    fields: [
      { name: 'id', type: 'text', required: true, createOnly: true },
      { name: 'kind', type: 'select', required: true, createOnly: true, options: () => ['site', 'zone', 'bin'].map((k) => ({ value: k, labelKey: `md.kind.${k}` })) },
      { name: 'parent', type: 'select', createOnly: true, source: '/api/locations' },
      { name: 'name', type: 'text', required: true },
      { name: 'iotZone', type: 'select', nullable: true, source: '/api/zones' },
      { name: 'tempLow', type: 'num', nullable: true },
      { name: 'tempHigh', type: 'num', nullable: true },
    ],
    columns: ['id', 'kind', 'parent', 'name', 'iotZone', 'tempLow', 'tempHigh'],
  },
};
