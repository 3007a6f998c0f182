// Fractional indexing, a port of domain/fracindex.go (same algorithm, same keys), so that keys
// the editor generates are accepted by the server as they are. Keys compare with plain string
// comparison (code units; keys are ASCII).

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SMALLEST_INTEGER = "A00000000000000000000000000";
const MAX_KEY_LENGTH = 256;

export class InvalidKeyError extends Error {
  constructor(message: string) {
    super(`invalid fractional index key: ${message}`);
    this.name = "InvalidKeyError";
  }
}

function digit(c: string): number {
  return DIGITS.indexOf(c);
}

function at(s: string, i: number): string {
  return s.charAt(i);
}

function integerLength(head: string): number {
  if (head >= "a" && head <= "z") return head.charCodeAt(0) - 97 + 2;
  if (head >= "A" && head <= "Z") return 90 - head.charCodeAt(0) + 2;
  return 0;
}

function integerPart(key: string): string {
  return key.slice(0, integerLength(at(key, 0)));
}

/** Throws InvalidKeyError unless key is a well-formed key (as domain.ValidateKey). */
export function validateKey(key: string): void {
  if (key === "" || key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(JSON.stringify(key));
  if (key === SMALLEST_INTEGER) throw new InvalidKeyError(`${key} is reserved`);
  const n = integerLength(at(key, 0));
  if (n === 0 || key.length < n) throw new InvalidKeyError(JSON.stringify(key));
  for (let i = 1; i < key.length; i++) {
    if (digit(at(key, i)) < 0) throw new InvalidKeyError(`${JSON.stringify(key)} has a character outside [0-9A-Za-z]`);
  }
  if (key.length > n && key.endsWith("0")) throw new InvalidKeyError(`${JSON.stringify(key)} has a trailing zero`);
}

/** Whether key is a well-formed key. */
export function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

function midpoint(a: string, b: string): string {
  if (b !== "" && a >= b) throw new InvalidKeyError(`fraction ${a} is not below ${b}`);
  if (a.endsWith("0") || b.endsWith("0")) throw new InvalidKeyError("trailing zero");
  if (b !== "") {
    let n = 0;
    while (n < b.length && (n < a.length ? at(a, n) : "0") === at(b, n)) n++;
    if (n > 0) return b.slice(0, n) + midpoint(n < a.length ? a.slice(n) : "", b.slice(n));
  }
  const digitA = a !== "" ? digit(at(a, 0)) : 0;
  const digitB = b !== "" ? digit(at(b, 0)) : DIGITS.length;
  if (digitB - digitA > 1) return at(DIGITS, Math.floor((digitA + digitB + 1) / 2));
  if (b !== "" && b.length > 1) return b.slice(0, 1);
  return at(DIGITS, digitA) + midpoint(a !== "" ? a.slice(1) : "", "");
}

function increment(x: string): string | null {
  const head = at(x, 0);
  const digs = x.slice(1).split("");
  let carry = true;
  for (let i = digs.length - 1; carry && i >= 0; i--) {
    const d = digit(digs[i] ?? "0") + 1;
    if (d === DIGITS.length) {
      digs[i] = "0";
    } else {
      digs[i] = at(DIGITS, d);
      carry = false;
    }
  }
  if (!carry) return head + digs.join("");
  if (head === "Z") return "a0";
  if (head === "z") return null;
  const h = String.fromCharCode(head.charCodeAt(0) + 1);
  if (h > "a") digs.push("0");
  else digs.pop();
  return h + digs.join("");
}

function decrement(x: string): string | null {
  const head = at(x, 0);
  const digs = x.slice(1).split("");
  let borrow = true;
  for (let i = digs.length - 1; borrow && i >= 0; i--) {
    const d = digit(digs[i] ?? "0") - 1;
    if (d === -1) {
      digs[i] = at(DIGITS, DIGITS.length - 1);
    } else {
      digs[i] = at(DIGITS, d);
      borrow = false;
    }
  }
  if (!borrow) return head + digs.join("");
  if (head === "a") return "Z" + at(DIGITS, DIGITS.length - 1);
  if (head === "A") return null;
  const h = String.fromCharCode(head.charCodeAt(0) - 1);
  if (h < "Z") digs.push(at(DIGITS, DIGITS.length - 1));
  else digs.pop();
  return h + digs.join("");
}

/**
 * Returns a key strictly between a and b; "" is the open end (keyBetween("", "") is the first key,
 * keyBetween(last, "") appends). Throws InvalidKeyError for malformed keys or a >= b.
 */
export function keyBetween(a: string, b: string): string {
  if (a !== "") validateKey(a);
  if (b !== "") validateKey(b);
  if (a !== "" && b !== "" && a >= b) throw new InvalidKeyError(`${a} is not below ${b}`);
  if (a === "") {
    if (b === "") return "a0";
    const ib = integerPart(b);
    const fb = b.slice(ib.length);
    if (ib === SMALLEST_INTEGER) return ib + midpoint("", fb);
    if (ib < b) return ib;
    const res = decrement(ib);
    if (res === null) throw new InvalidKeyError(`cannot go below ${b}`);
    return res;
  }
  const ia = integerPart(a);
  const fa = a.slice(ia.length);
  if (b === "") {
    const i = increment(ia);
    return i !== null ? i : ia + midpoint(fa, "");
  }
  const ib = integerPart(b);
  const fb = b.slice(ib.length);
  if (ia === ib) return ia + midpoint(fa, fb);
  const i = increment(ia);
  if (i === null) throw new InvalidKeyError(`cannot go above ${a}`);
  if (i < b) return i;
  return ia + midpoint(fa, "");
}

/** Returns n keys in order strictly between a and b (each one after the previous). */
export function keysBetween(a: string, b: string, n: number): string[] {
  const out: string[] = [];
  let prev = a;
  for (let i = 0; i < n; i++) {
    // Bisect toward b for the rest so that keys stay short when b is bounded.
    const k = keyBetween(prev, b);
    out.push(k);
    prev = k;
  }
  return out;
}
