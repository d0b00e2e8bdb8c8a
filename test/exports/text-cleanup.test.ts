import { describe, expect, it } from "vitest";
import { stripCitationMarkers } from "../../lib/exports/citation-markers";
import { htmlToText } from "../../lib/exports/html-to-text";

describe("stripCitationMarkers", () => {
  it("removes cite groups with the space before them", () => {
    const text = "Lisbon has seven hills. \ue200cite\ue202turn0search1\ue202turn0news3\ue201 It is sunny.";

    expect(stripCitationMarkers(text)).toBe("Lisbon has seven hills. It is sunny.");
  });

  it("keeps the displayed name of an entity marker", () => {
    const text = "Visit \ue200entity\ue202[\"place\",\"Sintra\",{\"lat\":38.8}]\ue201 by train.";

    expect(stripCitationMarkers(text)).toBe("Visit Sintra by train.");
  });

  it("removes stray private-use characters and legacy source marks", () => {
    const text = "Quoted \ue203text\ue204 here【12:3†source】.";

    expect(stripCitationMarkers(text)).toBe("Quoted text here.");
  });

  it("leaves text without markers untouched", () => {
    const text = "Plain answer with 【brackets】 of another kind.";

    expect(stripCitationMarkers(text)).toBe(text);
  });
});

describe("htmlToText", () => {
  it("turns paragraphs, line breaks and list items into lines and decodes entities", () => {
    const html = "<h2>Plan</h2><p>Pack &amp; go<br>early</p><ol><li>Bread</li><li>Cheese &lt;brie&gt;</li></ol>";

    expect(htmlToText(html)).toBe("Plan\nPack & go\nearly\n\n- Bread\n- Cheese <brie>");
  });

  it("drops scripts, styles and comments", () => {
    const html = "<style>p{color:red}</style><p>Visible</p><script>alert('x < y')</script><!-- note -->";

    expect(htmlToText(html)).toBe("Visible");
  });

  it("keeps a literal less-than sign that starts no tag", () => {
    expect(htmlToText("<p>3 < 4 and 5 <= 6</p>")).toBe("3 < 4 and 5 <= 6");
  });

  it("stays fast on hostile input full of unclosed tags", () => {
    const hostile = `${"<a ".repeat(100_000)}${"<!--".repeat(100_000)}`;

    const started = Date.now();
    htmlToText(hostile);

    expect(Date.now() - started).toBeLessThan(500);
  });
});
