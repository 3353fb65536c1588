import {
  type DocumentNode,
  type MemberNode,
  type ObjectNode,
  type Token,
  type ValueNode,
  parse as parseTree,
} from "@humanwhocodes/momoa";
import JSON5 from "json5";
import type { ConfigEdit, JsonPath } from "../core/finding.js";
import { json5Problem } from "../gateway/openclaw-config.js";

/**
 * An OpenClaw config file (JSON5) kept as text plus its syntax tree, so that
 * findings can name a line and column and fixes can change one value while
 * every comment and all other formatting stay as the operator wrote them.
 */
export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type ParsedConfig =
  | { ok: true; document: ConfigDocument }
  | { ok: false; message: string; position: Position | null };

export class ConfigDocument {
  private constructor(
    readonly text: string,
    /** The config as OpenClaw reads it (json5's semantics: the last duplicate key wins). */
    readonly value: Record<string, unknown>,
    private readonly tree: DocumentNode,
  ) {}

  /** Parses JSON5 text; a syntax error comes back as data with its line and column. */
  static parse(text: string): ParsedConfig {
    let tree: DocumentNode;
    let value: unknown;
    try {
      // json5 first: momoa 3.3.13 loops forever on an unterminated string that
      // ends in a backslash, which json5 rejects; on valid text momoa is safe.
      value = JSON5.parse(text);
      tree = parseTree(text, { mode: "json5", ranges: true, tokens: true });
    } catch (error) {
      const { line, column, lineNumber, columnNumber } = error as Record<string, unknown>;
      const at = (line ?? lineNumber) as number | undefined;
      const col = (column ?? columnNumber) as number | undefined;
      return {
        ok: false,
        message: `not valid JSON5: ${json5Problem(error)}`,
        position: typeof at === "number" ? { line: at, column: col ?? 1 } : null,
      };
    }
    if (tree.body.type !== "Object" || !isRecord(value)) {
      return { ok: false, message: "expected an object at the top level", position: null };
    }
    return { ok: true, document: new ConfigDocument(text, value, tree) };
  }

  /** The value at `path`, or undefined. */
  get(path: JsonPath): unknown {
    return valueAt(this.value, path);
  }

  /**
   * Where `path` is written: its key for an object member, its value for an
   * array element; the nearest written ancestor when the path is absent.
   */
  locate(path: JsonPath): Position {
    let node: ValueNode = this.tree.body;
    let position = toPosition(node.loc.start);
    for (const key of path) {
      const child = childOf(node, key);
      if (!child) break;
      position = toPosition(child.at.loc.start);
      node = child.value;
    }
    return position;
  }

  /** Keys written twice in one object (json5 keeps the last, silently). */
  duplicateKeys(): { path: JsonPath; position: Position }[] {
    const found: { path: JsonPath; position: Position }[] = [];
    const visit = (node: ValueNode, path: JsonPath) => {
      if (node.type === "Object") {
        const seen = new Set<string>();
        for (const member of node.members) {
          const key = memberKey(member);
          if (seen.has(key))
            found.push({ path: [...path, key], position: toPosition(member.loc.start) });
          seen.add(key);
          visit(member.value, [...path, key]);
        }
      } else if (node.type === "Array") {
        node.elements.forEach((element, index) => visit(element.value, [...path, index]));
      }
    };
    visit(this.tree.body, []);
    return found;
  }

  /** The text with one edit applied; throws when the edit cannot be placed. */
  applyEdit(edit: ConfigEdit): string {
    switch (edit.op) {
      case "set":
        return this.set(edit.path, edit.value);
      case "copy": {
        const value = this.get(edit.from);
        if (value === undefined) throw new Error(`nothing to copy at ${formatJsonPath(edit.from)}`);
        return this.set(edit.path, value);
      }
      case "remove":
        return this.remove(edit.path);
    }
  }

  private set(path: JsonPath, value: unknown): string {
    let node: ValueNode = this.tree.body;
    let depth = 0;
    for (; depth < path.length; depth++) {
      const child = childOf(node, path[depth]!);
      if (!child) break;
      node = child.value;
    }
    if (depth === path.length) {
      return splice(this.text, node.range!, this.render(value, this.indentAt(node)));
    }
    if (node.type !== "Object" || typeof path[depth] !== "string") {
      throw new Error(`cannot create ${formatJsonPath(path)}: its parent is not an object`);
    }
    let nested = value;
    for (let i = path.length - 1; i > depth; i--) nested = { [path[i]!]: nested };
    return this.insertMember(node, path[depth] as string, nested);
  }

  private insertMember(object: ObjectNode, key: string, value: unknown): string {
    const objectIndent = this.indentAt(object);
    const last = object.members.at(-1);
    if (!last) {
      const [start, end] = object.range!;
      const inner = this.text.slice(start + 1, end - 1);
      const indent = objectIndent + this.indentUnit();
      const member = `${this.renderKey(key)}: ${this.render(value, indent)}`;
      return /\S/.test(inner)
        ? splice(this.text, [start + 1, start + 1], `\n${indent}${member},`)
        : splice(this.text, [start, end], `{\n${indent}${member}\n${objectIndent}}`);
    }
    const inline = last.loc.start.line === object.loc.start.line;
    const indent = inline ? "" : lineIndent(this.text, last.range![0]);
    const member = `${this.renderKey(key)}: ${this.render(value, indent || objectIndent)}`;
    const comma = this.tokenAfter(last.range![1]);
    const hasComma = comma?.type === "Comma";
    const afterComma = hasComma ? comma.range![1] : last.range![1];
    if (inline) {
      return hasComma
        ? splice(this.text, [afterComma, afterComma], ` ${member},`)
        : splice(this.text, [afterComma, afterComma], `, ${member}`);
    }
    const at = this.endOfLineAfter(afterComma);
    let text = splice(this.text, [at, at], `\n${indent}${member}${hasComma ? "," : ""}`);
    if (!hasComma) text = splice(text, [afterComma, afterComma], ",");
    return text;
  }

  private remove(path: JsonPath): string {
    const parentPath = path.slice(0, -1);
    let parent: ValueNode = this.tree.body;
    for (const key of parentPath) {
      const child = childOf(parent, key);
      if (!child) return this.text;
      parent = child.value;
    }
    const key = path.at(-1)!;
    const entries: (MemberNode | { range?: [number, number]; loc: MemberNode["loc"] })[] =
      parent.type === "Object" ? parent.members : parent.type === "Array" ? parent.elements : [];
    const index =
      parent.type === "Object"
        ? parent.members.findLastIndex((m) => memberKey(m) === key)
        : typeof key === "number" && parent.type === "Array" && key < parent.elements.length
          ? key
          : -1;
    if (index < 0) return this.text;
    const entry = entries[index]!;
    const [start, end] = entry.range!;
    const comma = this.tokenAfter(end);
    if (comma?.type === "Comma") {
      const lineStart = this.text.lastIndexOf("\n", start - 1) + 1;
      const from = /^\s*$/.test(this.text.slice(lineStart, start)) ? lineStart : start;
      const stop = this.endOfLineAfter(comma.range![1]);
      const through = from === lineStart && stop < this.text.length ? stop + 1 : comma.range![1];
      return splice(this.text, [from, through], "");
    }
    const previous = entries[index - 1];
    if (previous) return splice(this.text, [previous.range![1], end], "");
    return splice(this.text, [start, end], "");
  }

  /** The first non-comment token at or after `offset`. */
  private tokenAfter(offset: number): Token | undefined {
    return this.tree.tokens?.find(
      (t) => t.range![0] >= offset && t.type !== "LineComment" && t.type !== "BlockComment",
    );
  }

  /** The end of the line holding `offset` when only blanks and comments follow it, else `offset`. */
  private endOfLineAfter(offset: number): number {
    const newline = this.text.indexOf("\n", offset);
    const lineEnd = newline < 0 ? this.text.length : newline;
    const rest = this.text.slice(offset, lineEnd);
    if (/^\s*$/.test(rest)) return lineEnd;
    const comment = this.tree.tokens?.find((t) => t.range![0] >= offset && t.range![0] < lineEnd);
    const onlyComment =
      comment &&
      (comment.type === "LineComment" || comment.type === "BlockComment") &&
      /^\s*$/.test(this.text.slice(offset, comment.range![0])) &&
      /^\s*$/.test(this.text.slice(comment.range![1], lineEnd));
    return onlyComment ? lineEnd : offset;
  }

  private indentAt(node: { range?: [number, number] }): string {
    return lineIndent(this.text, node.range![0]);
  }

  private indentUnit(): string {
    const first = this.tree.body.type === "Object" ? this.tree.body.members[0] : undefined;
    const indent = first ? lineIndent(this.text, first.range![0]) : "";
    return indent || "  ";
  }

  /** Keys are quoted like the rest of the file: a plain JSON file stays plain JSON. */
  private quoteKeys(): boolean {
    return !this.tree.tokens?.some(
      (token, i, all) => token.type === "Identifier" && all[i + 1]?.type === "Colon",
    );
  }

  private renderKey(key: string): string {
    return !this.quoteKeys() && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
  }

  private render(value: unknown, indent: string): string {
    const unit = this.indentUnit();
    const json = JSON.stringify(value, null, unit.length);
    if (json === undefined) throw new Error("cannot write an undefined value");
    const keyed = this.quoteKeys()
      ? json
      : json.replace(/^(\s*)"([A-Za-z_$][A-Za-z0-9_$]*)":/gm, "$1$2:");
    return keyed.split("\n").join(`\n${indent}`);
  }
}

/** Applies edits one after another, re-reading the text between them. */
export function applyConfigEdits(text: string, edits: readonly ConfigEdit[]): string {
  let current = text;
  for (const edit of edits) {
    const parsed = ConfigDocument.parse(current);
    if (!parsed.ok) throw new Error(`the config stopped parsing: ${parsed.message}`);
    current = parsed.document.applyEdit(edit);
  }
  return current;
}

/** `["models", "providers", "x", "models", 0]` -> `models.providers.x.models[0]`. */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return "<root>";
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function childOf(
  node: ValueNode,
  key: string | number,
): { at: { loc: MemberNode["loc"] }; value: ValueNode } | null {
  if (node.type === "Object" && typeof key === "string") {
    const member = node.members.findLast((m) => memberKey(m) === key);
    return member ? { at: member, value: member.value } : null;
  }
  if (node.type === "Array" && typeof key === "number") {
    const element = node.elements[key];
    return element ? { at: element, value: element.value } : null;
  }
  return null;
}

function memberKey(member: MemberNode): string {
  return member.name.type === "Identifier" ? member.name.name : member.name.value;
}

/** True for a plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` inside a parsed JSON value (own properties only), or undefined. */
export function valueAt(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key))
      return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function toPosition(location: { line: number; column: number }): Position {
  return { line: location.line, column: location.column };
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

function splice(text: string, [start, end]: readonly [number, number], insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}
