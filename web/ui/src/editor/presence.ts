// Presence on the client: what this client shares (selection, open script, cursor) and how the
// others are shown (a stable colour per user).

import { MAX_PRESENCE_BYTES, type JsonValue, type PresenceInfo } from "./types";

/** What the editor shares about itself on a document (free-form on the wire; this is its shape). */
export interface PresenceState {
  /** Selected node ids. */
  selection: string[];
  /** The script being edited ("script-<id>" doc or script id), if any. */
  script?: string;
  /** Cursor position on the canvas, if shared. */
  cursor?: { x: number; y: number };
}

/** Another client on the same document. */
export interface Peer {
  user: string;
  clientId: string;
  color: string;
  selection: string[];
  script?: string;
  cursor?: { x: number; y: number };
  /** The raw state as relayed (null when the peer cleared its presence). */
  state: JsonValue;
}

/** A colour derived from the user id: the same for a user in every tab and on every client. */
export function colorForUser(user: string): string {
  // FNV-1a: a cheap stable hash; the hue is what tells users apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) {
    h ^= user.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `hsl(${h % 360}, 70%, 45%)`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A peer from relayed presence; unknown shapes give an empty selection rather than an error. */
export function peerFrom(info: PresenceInfo): Peer {
  const s: unknown = info.state;
  const peer: Peer = { user: info.user, clientId: info.clientId, color: colorForUser(info.user), selection: [], state: info.state ?? null };
  if (isRecord(s)) {
    if (Array.isArray(s.selection)) peer.selection = s.selection.filter((x): x is string => typeof x === "string");
    if (typeof s.script === "string") peer.script = s.script;
    const c = s.cursor;
    if (isRecord(c) && typeof c.x === "number" && typeof c.y === "number") peer.cursor = { x: c.x, y: c.y };
  }
  return peer;
}

/**
 * The wire form of a presence state. A selection too large for the server's 4,096-byte limit
 * (P25) is cut short, so that the rest of the state still reaches the others.
 */
export function presenceJson(p: PresenceState): JsonValue {
  let selection = [...p.selection];
  for (;;) {
    const out: { [k: string]: JsonValue } = { selection };
    if (p.script !== undefined) out.script = p.script;
    if (p.cursor) out.cursor = { x: p.cursor.x, y: p.cursor.y };
    // Bytes, not UTF-16 units: the server measures the encoded message.
    if (selection.length === 0 || new TextEncoder().encode(JSON.stringify(out)).length <= MAX_PRESENCE_BYTES) return out;
    selection = selection.slice(0, Math.floor(selection.length / 2));
  }
}
