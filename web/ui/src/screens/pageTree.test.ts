import { describe, expect, it } from "vitest";
import type { PageTreeNode } from "../api/types";
import { countPages, findPage } from "./pageTree";

const node = (pageId: string, children: PageTreeNode[] = []): PageTreeNode => ({
  pageId,
  name: pageId.toUpperCase(),
  slug: pageId,
  index: "a0",
  children,
});

const tree = [node("home", [node("about", [node("team")])]), node("contact")];

describe("page tree helpers", () => {
  it.each([
    { id: "home", want: "HOME" },
    { id: "team", want: "TEAM" },
    { id: "contact", want: "CONTACT" },
    { id: "missing", want: undefined },
  ])("findPage($id)", ({ id, want }) => {
    expect(findPage(tree, id)?.name).toBe(want);
  });

  it("counts nested pages", () => {
    expect(countPages(tree)).toBe(4);
    expect(countPages([])).toBe(0);
  });
});
