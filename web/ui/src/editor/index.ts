// The editor core's public surface: import from "./editor" (or "src/editor").

export * from "./types";
export * from "./fracindex";
export * from "./page";
export * from "./presence";
export * from "./scriptText";
export * from "./session";
export * from "./undo";
export * from "./wsTransport";
export * from "./hooks";
