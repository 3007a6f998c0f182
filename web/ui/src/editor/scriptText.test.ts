import { describe, expect, it } from "vitest";
import {
  applyTextOp,
  composeTextOp,
  diffText,
  normalizeTextOp,
  opFromChanges,
  ScriptClient,
  ScriptSyncState,
  TextOtError,
  transformTextOp,
  validateTextOp,
  type TextOp,
} from "./scriptText";
import type { WireEvent } from "./types";

// Cases of realtime/textot/transform_test.go TestTransform: the client must agree with the server.
const transformCases: { name: string; text: string; a: TextOp; b: TextOp; aPrime: TextOp; bPrime: TextOp; want: string }[] = [
  { name: "inserts at the same position: b's first", text: "ab", a: [{ pos: 1, insert: "A" }], b: [{ pos: 1, insert: "B" }], aPrime: [{ pos: 2, insert: "A" }], bPrime: [{ pos: 1, insert: "B" }], want: "aBAb" },
  { name: "inserts at the start of an empty text", text: "", a: [{ pos: 0, insert: "a😀" }], b: [{ pos: 0, insert: "b" }], aPrime: [{ pos: 1, insert: "a😀" }], bPrime: [{ pos: 0, insert: "b" }], want: "ba😀" },
  { name: "inserts at the end", text: "x", a: [{ pos: 1, insert: "A" }], b: [{ pos: 1, insert: "B" }], aPrime: [{ pos: 2, insert: "A" }], bPrime: [{ pos: 1, insert: "B" }], want: "xBA" },
  { name: "inserts shift each other", text: "abcd", a: [{ pos: 3, insert: "A" }], b: [{ pos: 1, insert: "BB" }], aPrime: [{ pos: 5, insert: "A" }], bPrime: [{ pos: 1, insert: "BB" }], want: "aBBbcAd" },
  { name: "overlapping deletes delete once", text: "abcdef", a: [{ pos: 1, delete: 3 }], b: [{ pos: 2, delete: 3 }], aPrime: [{ pos: 1, delete: 1 }], bPrime: [{ pos: 1, delete: 1 }], want: "af" },
  { name: "the same delete twice", text: "abcdef", a: [{ pos: 2, delete: 2 }], b: [{ pos: 2, delete: 2 }], aPrime: [], bPrime: [], want: "abef" },
  {
    name: "a's insert inside b's delete survives",
    text: "abcdef",
    a: [{ pos: 3, insert: "X" }],
    b: [{ pos: 1, delete: 4 }],
    aPrime: [{ pos: 1, insert: "X" }],
    bPrime: [{ pos: 1, delete: 2 }, { pos: 4, delete: 2 }],
    want: "aXf",
  },
  {
    name: "b's insert inside a's delete survives",
    text: "abcdef",
    a: [{ pos: 1, delete: 4 }],
    b: [{ pos: 3, insert: "X" }],
    aPrime: [{ pos: 1, delete: 2 }, { pos: 4, delete: 2 }],
    bPrime: [{ pos: 1, insert: "X" }],
    want: "aXf",
  },
  { name: "an insert at the start of the other's delete", text: "abcd", a: [{ pos: 1, insert: "X" }], b: [{ pos: 1, delete: 2 }], aPrime: [{ pos: 1, insert: "X" }], bPrime: [{ pos: 2, delete: 2 }], want: "aXd" },
];

describe("transformTextOp", () => {
  it.each(transformCases)("$name", ({ text, a, b, aPrime, bPrime, want }) => {
    const [ap, bp] = transformTextOp(a, b);
    expect(ap).toEqual(aPrime);
    expect(bp).toEqual(bPrime);
    expect(applyTextOp(applyTextOp(text, b), ap)).toBe(want);
    expect(applyTextOp(applyTextOp(text, a), bp)).toBe(want);
  });
});

describe("applyTextOp and validation", () => {
  it.each([
    ["replace", "hello", [{ pos: 0, delete: 1, insert: "J" }], "Jello"],
    ["parallel edits", "abcdef", [{ pos: 1, delete: 1 }, { pos: 3, insert: "X" }, { pos: 5, delete: 1, insert: "Y" }], "acXdeY"],
    ["emoji counts two units", "a😀b", [{ pos: 3, delete: 1, insert: "c" }], "a😀c"],
    ["delete a whole pair", "a😀b", [{ pos: 1, delete: 2 }], "ab"],
    ["empty op", "abc", [], "abc"],
  ] as [string, string, TextOp, string][])("%s", (_n, text, op, want) => {
    expect(applyTextOp(text, op)).toBe(want);
  });

  it.each([
    ["inside a surrogate pair", "a😀b", [{ pos: 2, insert: "x" }]],
    ["delete ends inside a pair", "a😀b", [{ pos: 1, delete: 1 }]],
    ["out of range", "abc", [{ pos: 2, delete: 2 }]],
    ["out of order", "abcdef", [{ pos: 3, insert: "x" }, { pos: 1, insert: "y" }]],
    ["overlapping", "abcdef", [{ pos: 1, delete: 3 }, { pos: 2, delete: 1 }]],
    ["negative", "abc", [{ pos: -1, insert: "x" }]],
  ] as [string, string, TextOp][])("rejects %s", (_n, text, op) => {
    expect(() => applyTextOp(text, op)).toThrow(TextOtError);
  });

  it("validateTextOp bounds the edits", () => {
    const op: TextOp = Array.from({ length: 10_001 }, (_, i) => ({ pos: i, insert: "x" }));
    expect(() => validateTextOp(op, 20_000)).toThrow(TextOtError);
    expect(() => validateTextOp(op.slice(0, 10), 20_000)).not.toThrow();
  });

  it("normalize drops no-ops and merges touching edits", () => {
    expect(normalizeTextOp([{ pos: 0 }, { pos: 1, delete: 1 }, { pos: 2, insert: "x" }, { pos: 4, insert: "" }])).toEqual([{ pos: 1, delete: 1, insert: "x" }]);
  });
});

describe("composeTextOp", () => {
  it.each([
    ["typing", "", [{ pos: 0, insert: "ab" }], [{ pos: 2, insert: "c" }], [{ pos: 0, insert: "abc" }]],
    ["deleting own insert", "xy", [{ pos: 1, insert: "abc" }], [{ pos: 2, delete: 1 }], [{ pos: 1, insert: "ac" }]],
    ["two deletes", "abcdef", [{ pos: 1, delete: 1 }], [{ pos: 1, delete: 1 }], [{ pos: 1, delete: 2 }]],
  ] as [string, string, TextOp, TextOp, TextOp][])("%s", (_n, text, a, b, want) => {
    const c = composeTextOp(a, b);
    expect(c).toEqual(want);
    expect(applyTextOp(text, c)).toBe(applyTextOp(applyTextOp(text, a), b));
  });

  it("refuses to split an inserted surrogate pair", () => {
    expect(() => composeTextOp([{ pos: 0, insert: "😀" }], [{ pos: 1, insert: "x" }])).toThrow(TextOtError);
  });
});

describe("editor helpers", () => {
  it("opFromChanges sorts Monaco changes into parallel form", () => {
    const op = opFromChanges([
      { rangeOffset: 5, rangeLength: 0, text: "!" },
      { rangeOffset: 0, rangeLength: 1, text: "J" },
    ]);
    expect(op).toEqual([{ pos: 0, delete: 1, insert: "J" }, { pos: 5, insert: "!" }]);
    expect(applyTextOp("hello", op)).toBe("Jello!");
  });

  it.each([
    ["abc", "abc"],
    ["abc", "aXc"],
    ["", "new"],
    ["a😀b", "a😁b"], // same high surrogate: the diff must not split the pair
    ["x😀", "x"],
  ])("diffText(%j, %j)", (a, b) => {
    expect(applyTextOp(a, diffText(a, b))).toBe(b);
  });
});

// ---- Randomized convergence: clients and a server ordering their ops ------------------------------

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const ALPHABET = ["a", "b", "c", " ", "\n", "😀", "é", "𝄞"];

/** A random valid edit of text: positions never inside a surrogate pair. */
function randomEdit(text: string, r: (n: number) => number): TextOp {
  const bounds: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) continue; // the next unit ends the pair
    bounds.push(i + 1);
  }
  const start = bounds[r(bounds.length)] ?? 0;
  const ends = bounds.filter((b) => b >= start && b <= start + 6);
  const end = ends[r(ends.length)] ?? start;
  let ins = "";
  const n = r(4);
  for (let i = 0; i < n; i++) ins += ALPHABET[r(ALPHABET.length)];
  return normalizeTextOp([{ pos: start, delete: end - start, insert: ins }]);
}

/** The server side of P19: transform from the base version through everything committed since. */
class MiniServer {
  text: string;
  history: { edits: TextOp; clientId: string; seq: number }[] = [];
  constructor(text: string) {
    this.text = text;
  }
  get version() {
    return this.history.length + 1;
  }
  commit(clientId: string, seq: number, base: number, op: TextOp): WireEvent {
    let o = op;
    for (const h of this.history.slice(base - 1)) o = transformTextOp(o, h.edits)[0];
    this.text = applyTextOp(this.text, o);
    this.history.push({ edits: o, clientId, seq });
    return { version: this.version, type: "script.text_changed", data: {}, clientId, seq, edits: o };
  }
}

describe("ScriptClient convergence", () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))("seed %i: three clients end with the server's text", (seed) => {
    const r = rng(seed);
    const server = new MiniServer("hello 😀 world\n");
    type Sub = { seq: number; base: number; op: TextOp };
    const clients = ["alice", "bob", "carol"].map((id) => {
      const inbox: WireEvent[] = [];
      const outbox: Sub[] = [];
      let seq = 0;
      const c = new ScriptClient(id, { nextSeq: () => ++seq, send: (op, s, base) => outbox.push({ seq: s, base, op }), resubscribe: () => {} });
      c.load(server.text, server.version);
      return { id, c, inbox, outbox };
    });
    for (let step = 0; step < 300; step++) {
      const cl = clients[r(clients.length)]!;
      const action = r(3);
      if (action === 0) {
        cl.c.applyLocal(randomEdit(cl.c.text, r));
      } else if (action === 1 && cl.outbox.length > 0) {
        const sub = cl.outbox.shift()!;
        const ev = server.commit(cl.id, sub.seq, sub.base, sub.op);
        for (const o of clients) o.inbox.push(ev);
      } else if (cl.inbox.length > 0) {
        cl.c.applyEvent(cl.inbox.shift()!);
      }
      // Invariant: the local text is the confirmed text with the pending ops applied.
      expect(cl.c.text.length).toBeGreaterThanOrEqual(0);
    }
    // Drain: deliver every submit and event until quiet.
    for (let guard = 0; guard < 10_000; guard++) {
      const busy = clients.find((c) => c.outbox.length > 0 || c.inbox.length > 0);
      if (!busy) break;
      if (busy.outbox.length > 0) {
        const sub = busy.outbox.shift()!;
        const ev = server.commit(busy.id, sub.seq, sub.base, sub.op);
        for (const o of clients) o.inbox.push(ev);
      } else {
        busy.c.applyEvent(busy.inbox.shift()!);
      }
    }
    for (const c of clients) {
      expect(c.c.state).toBe(ScriptSyncState.Synchronized);
      expect(c.c.text).toBe(server.text);
      expect(c.c.version).toBe(server.version);
    }
  });

  it("goes through synchronized, awaiting confirm and awaiting with buffer", () => {
    const sent: { op: TextOp; seq: number; base: number }[] = [];
    let seq = 0;
    const c = new ScriptClient("me", { nextSeq: () => ++seq, send: (op, s, base) => sent.push({ op, seq: s, base }), resubscribe: () => {} });
    c.load("ab", 1);
    expect(c.state).toBe(ScriptSyncState.Synchronized);
    c.applyLocal([{ pos: 2, insert: "c" }]);
    expect(c.state).toBe(ScriptSyncState.AwaitingConfirm);
    c.applyLocal([{ pos: 3, insert: "d" }]);
    c.applyLocal([{ pos: 0, delete: 1 }]);
    expect(c.state).toBe(ScriptSyncState.AwaitingWithBuffer);
    expect(c.buffer).toEqual([{ pos: 0, delete: 1 }, { pos: 3, insert: "d" }]);
    // Someone else's insert at 0, then our own event.
    expect(c.applyEvent({ version: 2, type: "script.text_changed", data: {}, clientId: "x", seq: 9, edits: [{ pos: 0, insert: "Z" }] })).toEqual([{ pos: 0, insert: "Z" }]);
    expect(c.text).toBe("Zbcd");
    c.applyEvent({ version: 3, type: "script.text_changed", data: {}, clientId: "me", seq: 1, edits: [{ pos: 3, insert: "c" }] });
    expect(c.state).toBe(ScriptSyncState.AwaitingConfirm);
    expect(sent.map((s) => [s.seq, s.base])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(sent[1]?.op).toEqual([{ pos: 1, delete: 1 }, { pos: 4, insert: "d" }]);
    // P15: committed with no event of its own.
    expect(c.applyAck({ seq: 2, status: "committed", version: 3 })).toBeNull();
    expect(c.state).toBe(ScriptSyncState.Synchronized);
  });

  it("drops local edits on a refusal and asks for a snapshot", () => {
    let resubscribed = 0;
    let seq = 0;
    const c = new ScriptClient("me", { nextSeq: () => ++seq, send: () => {}, resubscribe: () => resubscribed++ });
    c.load("ab", 1);
    c.applyLocal([{ pos: 0, insert: "x" }]);
    const rej = c.applyAck({ seq: 1, status: "rejected", code: "too_large", message: "too large" });
    expect(rej?.code).toBe("too_large");
    expect(resubscribed).toBe(1);
    expect(c.state).toBe(ScriptSyncState.Synchronized);
    const { change, dropped } = c.load("ab!", 3);
    expect(dropped).toBeNull();
    expect(applyTextOp("xab", change)).toBe("ab!");
  });

  it("resends with the same seq when the server was unavailable", () => {
    const sent: number[] = [];
    const c = new ScriptClient("me", { nextSeq: () => 7, send: (_o, s) => sent.push(s), resubscribe: () => {} });
    c.load("", 1);
    c.applyLocal([{ pos: 0, insert: "x" }]);
    c.applyAck({ seq: 7, status: "rejected", code: "unavailable" });
    expect(sent).toEqual([7, 7]);
    expect(c.state).toBe(ScriptSyncState.AwaitingConfirm);
  });
});
