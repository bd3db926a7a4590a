import type { StockDevicesSpec } from '../stock-types.ts';

// The bakery's stock-moving devices: a dock door portal (Impinj) where flour arrives in tagged
// cases, the flour silo on a Modbus TCP weighing indicator, and the butter bin on a bench
// balance (MT-SICS). The ids are a contract with the demo's master data below.

export const bakeryStock: StockDevicesSpec = {
  zones: [
    { id: 'dock', name: 'Dock door' },
    { id: 'dry', name: 'Dry store' },
    { id: 'bakehouse', name: 'Bakehouse' },
  ],
  portal: { id: 'dock-portal', name: 'Dock door RFID portal', zone: 'dock', topic: 'bakery/dock/reader', flavour: 'impinj' },
  silo: { id: 'flour-silo', name: 'Flour silo scale', zone: 'dry', bin: 'SILO-1', sku: 'FLOUR-T55', unitId: 1, initialKg: 812.4, capacityKg: 2000, sensor: 'silo-weight' },
  bench: { id: 'bench-scale', name: 'Butter bench balance', zone: 'bakehouse', bin: 'B-07', sku: 'BUTTER-250', pieceWeightKg: 0.25, initialKg: 2.5, sensor: 'bench-weight' },
  pallet: { gtin: '80614141123458', companyPrefixLength: 7, cases: 40 },
  masterData: {
    site: { id: 'bakery-main', name: 'Bakery' },
    zones: [
      { id: 'DOCK', name: 'Dock door', iotZone: 'dock' },
      { id: 'DRY', name: 'Dry store', iotZone: 'dry' },
      { id: 'BAKEHOUSE', name: 'Bakehouse', iotZone: 'bakehouse' },
    ],
    bins: [
      { id: 'SILO-1', name: 'Flour silo', zone: 'DRY' },
      { id: 'B-07', name: 'Butter bin (bench scale)', zone: 'BAKEHOUSE' },
    ],
    items: [
      { sku: 'FLOUR-CASE', gtin: '80614141123458', name: 'Flour T65, case of 10 kg', unit: 'case', lotTracked: true },
      { sku: 'FLOUR-T55', name: 'Flour T55, bulk', unit: 'kg' },
      { sku: 'BUTTER-250', name: 'Butter 250 g', unit: 'pcs', pieceWeight: 0.25 },
    ],
    supplier: { id: 'MILL', name: 'Moulin du Val' },
    opening: [
      { sku: 'FLOUR-T55', bin: 'SILO-1', qty: 812.4 },
      { sku: 'BUTTER-250', bin: 'B-07', qty: 10 },
    ],
    openPo: { sku: 'FLOUR-CASE', qty: 40, priceMinor: 1450 },
  },
};
