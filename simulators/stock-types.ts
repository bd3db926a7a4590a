// A scenario's stock-moving devices (issue #5): a dock door RFID portal, a silo scale on Modbus
// TCP, a bench balance on a serial line (MT-SICS over a socat pty). Plain data, like the rest of
// a scenario; simulators/stock-devices.ts runs them, bin/scenario-edge-config.ts turns them
// into the gateway's devices, and the demo seeds the matching master data from `masterData`.

export interface StockZoneSpec {
  /** IoT zone id (edge config zone, no temperature profile) */
  id: string;
  name: string;
}

export interface StockDevicesSpec {
  zones: StockZoneSpec[];
  portal: { id: string; name: string; zone: string; topic: string; flavour: 'impinj' | 'zebra' };
  silo: { id: string; name: string; zone: string; bin: string; sku: string; unitId: number; initialKg: number; capacityKg: number; sensor: string };
  bench: { id: string; name: string; zone: string; bin: string; sku: string; pieceWeightKg: number; initialKg: number; sensor: string };
  /** the tagged cases the portal's trucks bring: GTIN-14 and the GS1 company prefix length */
  pallet: { gtin: string; companyPrefixLength: number; cases: number };
  /** items, locations (site → zone → bin), a supplier and the open PO the demo seeds */
  masterData: {
    site: { id: string; name: string };
    zones: { id: string; name: string; iotZone: string }[];
    bins: { id: string; name: string; zone: string }[];
    items: { sku: string; gtin?: string; name: string; unit: string; pieceWeight?: number; lotTracked?: boolean }[];
    supplier: { id: string; name: string };
    /** opening balances, matching what the scales hold at start */
    opening: { sku: string; bin: string; qty: number }[];
    /** the purchase order the first pallet is received against */
    openPo: { sku: string; qty: number; priceMinor: number };
  };
}
