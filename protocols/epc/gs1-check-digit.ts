// GS1 mod-10 check digit (GS1 General Specifications §7.9.1): weights 3,1,3,1… from the
// right-most digit of the payload. Shared by GTIN-14, SSCC-18 and GRAI.

export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += d * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** payload digits + their check digit */
export function withCheckDigit(digits: string): string {
  return digits + String(gs1CheckDigit(digits));
}

/** true when the last digit is the right check digit for the rest */
export function hasValidCheckDigit(code: string): boolean {
  return /^\d{2,}$/.test(code) && gs1CheckDigit(code.slice(0, -1)) === Number(code.slice(-1));
}
