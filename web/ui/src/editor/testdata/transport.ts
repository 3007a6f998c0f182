// The in-memory Transport of the session tests: the test plays the server, message by message.

import type { Transport } from "../session";
import type { ClientMessage, ServerMessage } from "../types";

export class MemoryTransport implements Transport {
  /** Everything the session sent, oldest first; take() empties it. */
  sent: ClientMessage[] = [];
  connected = false;
  reconnects = 0;
  private openCb: () => void = () => {};
  private msgCb: (m: ServerMessage) => void = () => {};
  private closeCb: (code: number, reason: string) => void = () => {};

  send(msg: ClientMessage): void {
    if (!this.connected) throw new Error(`send while disconnected: ${JSON.stringify(msg)}`);
    // A JSON round trip, as on the wire: later mutations of the session's objects cannot leak.
    this.sent.push(JSON.parse(JSON.stringify(msg)) as ClientMessage);
  }
  onOpen(cb: () => void): void {
    this.openCb = cb;
  }
  onMessage(cb: (m: ServerMessage) => void): void {
    this.msgCb = cb;
  }
  onClose(cb: (code: number, reason: string) => void): void {
    this.closeCb = cb;
  }
  reconnect(): void {
    this.reconnects++;
  }

  /** The connection opened. */
  open(): void {
    this.connected = true;
    this.openCb();
  }
  /** The connection was lost. */
  close(code = 1006, reason = ""): void {
    this.connected = false;
    this.closeCb(code, reason);
  }
  /** A server message arrives (JSON round trip as on the wire). */
  deliver(m: ServerMessage): void {
    this.msgCb(JSON.parse(JSON.stringify(m)) as ServerMessage);
  }
  /** Returns and forgets the messages sent so far. */
  take(): ClientMessage[] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
  /** The messages of one type sent so far (not forgotten). */
  ofType<T extends ClientMessage["type"]>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}
