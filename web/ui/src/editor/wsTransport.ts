// The browser Transport: one WebSocket to /api/realtime at a time (the session cookie
// authenticates it). Messages that are not JSON objects with a string type are dropped.

import type { Transport } from "./session";
import type { ClientMessage, ServerMessage } from "./types";

/** The co-editing endpoint of the page's origin (ws: or wss:). */
export function realtimeUrl(loc: Pick<Location, "protocol" | "host"> = window.location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/api/realtime`;
}

/** A Transport over WebSocket; it connects at once and again on every reconnect(). */
export function webSocketTransport(url: string = realtimeUrl()): Transport & { close(): void } {
  let ws: WebSocket | null = null;
  let openCb: () => void = () => {};
  let msgCb: (m: ServerMessage) => void = () => {};
  let closeCb: (code: number, reason: string) => void = () => {};
  let started = false;

  const connect = () => {
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      if (ws === sock) openCb();
    };
    sock.onmessage = (e: MessageEvent) => {
      if (ws !== sock || typeof e.data !== "string") return;
      let m: unknown;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string") msgCb(m as ServerMessage);
    };
    sock.onclose = (e: CloseEvent) => {
      if (ws !== sock) return;
      ws = null;
      closeCb(e.code, e.reason);
    };
  };
  // Connect once every callback is registered (the session registers all three in its constructor).
  const start = () => {
    if (!started) {
      started = true;
      queueMicrotask(connect);
    }
  };

  return {
    send(msg: ClientMessage) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    },
    onOpen(cb) {
      openCb = cb;
      start();
    },
    onMessage(cb) {
      msgCb = cb;
    },
    onClose(cb) {
      closeCb = cb;
    },
    reconnect() {
      if (ws) {
        const old = ws;
        ws = null;
        old.close(1000);
      }
      connect();
    },
    close() {
      const old = ws;
      ws = null;
      old?.close(1000);
    },
  };
}
