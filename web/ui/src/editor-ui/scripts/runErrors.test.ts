import { describe, expect, it } from "vitest";
import { addRunError, type RunErrors } from "./runErrors";

describe("addRunError", () => {
  const empty: RunErrors = { handlers: {}, pageReducer: "", appReducer: "" };
  it("files errors by the script or role they name", () => {
    let e = addRunError(empty, "handler h-1@2: jsbox: script error: boom");
    e = addRunError(e, "page reducer: jsbox: invalid script: Line 1:5 Unexpected token");
    e = addRunError(e, "app reducer: jsbox: deadline exceeded");
    expect(e).toEqual({
      handlers: { "h-1": "handler h-1@2: jsbox: script error: boom" },
      pageReducer: "page reducer: jsbox: invalid script: Line 1:5 Unexpected token",
      appReducer: "app reducer: jsbox: deadline exceeded",
    });
  });
  it("keeps the errors as they are for a message naming no script", () => {
    expect(addRunError(empty, "The payload does not match")).toBe(empty);
  });
});
