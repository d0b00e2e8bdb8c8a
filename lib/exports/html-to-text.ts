import { decodeHTML } from "entities";

/**
 * Gemini's Takeout keeps each answer only as HTML (`safeHtmlItem[].html`). A memory wants the words:
 * block elements become line breaks, list items keep a dash, tags go, entities are decoded. A single
 * left-to-right pass (each `<` looks ahead to its `>` once) keeps hostile HTML from making this slow,
 * which regexes such as `<[^>]*>` cannot promise on input full of unclosed `<`.
 */
const BLOCK_ELEMENTS = new Set(["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "pre", "blockquote", "section", "article"]);
const INVISIBLE_ELEMENTS = new Set(["script", "style", "head", "template"]);
const TAG_NAME = /^\/?([a-zA-Z][a-zA-Z0-9]*)/;

/** The readable text of an HTML fragment, in linear time. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let hiddenUntil: string | null = null;
  let i = 0;
  let noMoreTagEnds = false;
  while (i < html.length) {
    const open = noMoreTagEnds ? -1 : html.indexOf("<", i);
    if (open === -1) {
      if (hiddenUntil === null) out.push(html.slice(i));
      break;
    }
    if (hiddenUntil === null) out.push(html.slice(i, open));
    if (html.startsWith("<!--", open)) {
      const close = html.indexOf("-->", open + 4);
      i = close === -1 ? html.length : close + 3;
      continue;
    }
    const name = TAG_NAME.exec(html.slice(open + 1, open + 40))?.[1]?.toLowerCase();
    const close = name === undefined ? -1 : html.indexOf(">", open);
    if (name === undefined || close === -1) {
      // Not a tag: a literal "<" in the text. Without any later ">", no later "<" can start a tag either.
      if (close === -1 && name !== undefined) noMoreTagEnds = true;
      if (hiddenUntil === null) out.push("<");
      i = open + 1;
      continue;
    }
    const closing = html[open + 1] === "/";
    if (hiddenUntil !== null) {
      if (closing && name === hiddenUntil) hiddenUntil = null;
    } else if (!closing && INVISIBLE_ELEMENTS.has(name)) {
      hiddenUntil = name;
    } else {
      out.push(tagAsText(name, closing));
    }
    i = close + 1;
  }
  return tidy(decodeHTML(out.join("")));
}

function tagAsText(name: string, closing: boolean): string {
  if (name === "br") return "\n";
  if (!closing && name === "li") return "\n- ";
  if (closing && (name === "td" || name === "th")) return "\t";
  if (closing && BLOCK_ELEMENTS.has(name)) return "\n";
  return "";
}

function tidy(text: string): string {
  return text
    .replace(/\u00a0/g, " ")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
