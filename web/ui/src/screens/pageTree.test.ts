import { describe, expect, it } from "vitest";
import type { PageTreeNode } from "../api/types";
import { computeDrop, computeMove, countPages, findPage, locatePage, type MoveDirection } from "./pageTree";

const node = (pageId: string, children: PageTreeNode[] = [], index = "a0"): PageTreeNode => ({
  pageId,
  name: pageId.toUpperCase(),
  slug: pageId,
  index,
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

describe("page moves", () => {
  // home [about [team], blog], contact, legal; siblings keyed a0, a1, a2 in order.
  const site = [
    node("home", [node("about", [node("team")]), node("blog", [], "a1")]),
    node("contact", [], "a1"),
    node("legal", [], "a2"),
  ];

  it.each([
    { id: "team", parent: "about", siblings: ["team"], position: 0 },
    { id: "blog", parent: "home", siblings: ["about", "blog"], position: 1 },
    { id: "legal", parent: undefined, siblings: ["home", "contact", "legal"], position: 2 },
  ])("locatePage($id)", ({ id, parent, siblings, position }) => {
    const place = locatePage(site, id);
    expect(place?.parent?.pageId).toBe(parent);
    expect(place?.siblings.map((p) => p.pageId)).toEqual(siblings);
    expect(place?.position).toBe(position);
  });

  it("locatePage of a missing page", () => {
    expect(locatePage(site, "missing")).toBeUndefined();
  });

  // after/before bound the new index strictly ("" for no bound).
  it.each<{ id: string; dir: MoveDirection; parentId: string; after: string; before: string }>([
    { id: "contact", dir: "up", parentId: "", after: "", before: "a0" },
    { id: "legal", dir: "up", parentId: "", after: "a0", before: "a1" },
    { id: "blog", dir: "up", parentId: "home", after: "", before: "a0" },
    { id: "home", dir: "down", parentId: "", after: "a1", before: "a2" },
    { id: "contact", dir: "down", parentId: "", after: "a2", before: "" },
    { id: "contact", dir: "indent", parentId: "home", after: "a1", before: "" },
    { id: "blog", dir: "indent", parentId: "about", after: "a0", before: "" },
    { id: "legal", dir: "indent", parentId: "contact", after: "", before: "" },
    { id: "team", dir: "outdent", parentId: "home", after: "a0", before: "a1" },
    { id: "blog", dir: "outdent", parentId: "", after: "a0", before: "a1" },
    { id: "about", dir: "outdent", parentId: "", after: "a0", before: "a1" },
  ])("computeMove($id, $dir)", ({ id, dir, parentId, after, before }) => {
    const move = computeMove(site, id, dir);
    expect(move?.parentId).toBe(parentId);
    const index = move?.index ?? "";
    expect(index).not.toBe("");
    if (after !== "") expect(index > after).toBe(true);
    if (before !== "") expect(index < before).toBe(true);
  });

  it.each<{ id: string; dir: MoveDirection }>([
    { id: "home", dir: "up" },
    { id: "about", dir: "up" },
    { id: "legal", dir: "down" },
    { id: "blog", dir: "down" },
    { id: "home", dir: "indent" },
    { id: "team", dir: "indent" },
    { id: "home", dir: "outdent" },
    { id: "missing", dir: "up" },
  ])("computeMove($id, $dir) is not possible", ({ id, dir }) => {
    expect(computeMove(site, id, dir)).toBeUndefined();
  });
});

describe("page drops", () => {
  const site = [
    node("home", [node("about", [node("team")]), node("blog", [], "a1")]),
    node("contact", [], "a1"),
    node("legal", [], "a2"),
  ];

  // after/before bound the new index strictly ("" for no bound).
  it.each([
    { active: "legal", over: "home", parentId: "", after: "", before: "a0" },
    { active: "legal", over: "contact", parentId: "", after: "a0", before: "a1" },
    { active: "home", over: "contact", parentId: "", after: "a1", before: "a2" },
    { active: "home", over: "legal", parentId: "", after: "a2", before: "" },
    { active: "contact", over: "blog", parentId: "home", after: "a0", before: "a1" },
    { active: "team", over: "contact", parentId: "", after: "a0", before: "a1" },
    { active: "contact", over: "team", parentId: "about", after: "", before: "a0" },
    // Into its own subtree: sent, for the server to refuse.
    { active: "home", over: "team", parentId: "about", after: "", before: "a0" },
  ])("computeDrop($active on $over)", ({ active, over, parentId, after, before }) => {
    const move = computeDrop(site, active, over);
    expect(move?.parentId).toBe(parentId);
    const index = move?.index ?? "";
    expect(index).not.toBe("");
    if (after !== "") expect(index > after).toBe(true);
    if (before !== "") expect(index < before).toBe(true);
  });

  it.each([
    { active: "home", over: "home" },
    { active: "missing", over: "home" },
    { active: "home", over: "missing" },
  ])("computeDrop($active on $over) does nothing", ({ active, over }) => {
    expect(computeDrop(site, active, over)).toBeUndefined();
  });
});
