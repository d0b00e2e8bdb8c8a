/**
 * ChatGPT marks citations and rich inline elements in assistant text with private-use characters:
 * `\uE200cite\uE202turn0search3\uE201` (a source reference), `\uE200entity\uE202["city","Paris",…]\uE201`
 * (a name rendered as a link), `\uE203…\uE204` around quoted spans, and older `【4†source】` markers. In
 * a memory they are noise, except that an entity is the word the reader saw, so it is kept as that word.
 */
// The space before a dropped marker goes too, so "done. [marker] Next" does not become "done.  Next".
const GROUP = /( ?)\uE200([^\uE200\uE201]*)\uE201/g;
const PRIVATE_USE = /[\uE200-\uE2FF]/g;
const LEGACY_SOURCE_MARK = /【\d+(?::\d+)?†[^】\n]{0,80}】/g;
const SEPARATOR = "\uE202";

/** Assistant text without citation markers; entity markers become the name they display. */
export function stripCitationMarkers(text: string): string {
  if (!hasMarkers(text)) return text;
  return text
    .replace(GROUP, (_match, space: string, inner: string) => {
      const name = entityName(inner);
      return name === "" ? "" : space + name;
    })
    .replace(PRIVATE_USE, "")
    .replace(LEGACY_SOURCE_MARK, "");
}

/** Most answers have no markers; one native regex scan is far cheaper than the replacements. */
const ANY_MARKER = /[\uE200-\uE2FF\u3010]/;

function hasMarkers(text: string): boolean {
  return ANY_MARKER.test(text);
}

function entityName(inner: string): string {
  const [name, argument] = inner.split(SEPARATOR);
  if (name !== "entity" || argument === undefined) return "";
  try {
    const parsed: unknown = JSON.parse(argument);
    return Array.isArray(parsed) && typeof parsed[1] === "string" ? parsed[1] : "";
  } catch {
    return "";
  }
}
