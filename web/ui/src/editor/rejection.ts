// Refusals of page ops and script edits, in words for people.

import type { PageOp } from "./types";

/** An op or edit the server refused, explained for people. */
export interface Rejection {
  doc: string;
  seq: number;
  code: string;
  /** Human-readable: what happened to the user's change. */
  message: string;
  /** The server's own message. */
  serverMessage: string;
  path?: string;
  /** The refused page op (pages only). */
  op?: PageOp;
}

/** Words for a refused page op or script edit, by code (docs/protocol.md, error codes). */
export function describeRejection(code: string, serverMessage: string, op?: PageOp): string {
  const what = op ? opNoun(op) : "your edit";
  switch (code) {
    case "node_not_found":
      return `Someone deleted the component you were editing, so ${what} was dropped.`;
    case "page_not_found":
      return `This page was deleted, so ${what} was dropped.`;
    case "not_found":
      return "This script was deleted, so your edit was dropped.";
    case "forbidden":
      return "Your role does not allow editing here; your change was not saved.";
    case "node_exists":
      return `A component with that id already exists, so ${what} was dropped.`;
    case "cycle":
      return "A component cannot be moved inside itself.";
    case "cannot_move_root":
      return "The page's root cannot be moved.";
    case "cannot_delete_root":
      return "The page's root cannot be deleted.";
    case "no_children":
      return "That component cannot contain other components.";
    case "binding_not_found":
      return "That event handler was already removed.";
    case "unknown_component":
      return "That component type is not available any more.";
    case "invalid_prop":
    case "unknown_prop":
    case "invalid_style":
    case "invalid_path":
      return `The value was not accepted: ${serverMessage}`;
    case "base_too_old":
    case "future_version":
      return "The script changed too much while you were offline; it was reloaded and your latest edits were dropped.";
    case "too_large":
      return "The script would be too large; your edit was dropped.";
    case "unavailable":
      return "The server could not save the change; it will be retried.";
    default:
      return serverMessage || `The server refused ${what} (${code}).`;
  }
}

function opNoun(op: PageOp): string {
  switch (op.op) {
    case "insert_node":
      return "the component you added";
    case "move_node":
      return "your move";
    case "delete_node":
      return "your delete";
    case "set_prop":
      return `your change to "${op.path}"`;
    case "set_style":
      return `your change to the style "${op.path}"`;
    case "bind_event":
    case "unbind_event":
      return `your change to the ${op.event} handler`;
    case "set_page_state":
      return "your change to the page state";
    case "rename_page":
      return "your rename";
  }
}
