import { escapeXml, lineChart } from "../../loadgen/report/svg";

const coords = (svg: string): [number, number][] =>
  [...svg.matchAll(/<path class="series" d="([^"]+)"/g)].flatMap((m) =>
    [...m[1]!.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map(
      (p) => [Number(p[1]), Number(p[2])] as [number, number],
    ),
  );

describe("lineChart", () => {
  it("maps every point inside the plot area, larger values higher up", () => {
    const svg = lineChart(
      [
        {
          label: "a",
          colour: 0,
          points: [
            [10, 1],
            [20, 10],
            [40, 100],
          ],
        },
        {
          label: "b <&>",
          colour: 1,
          dashed: true,
          points: [
            [10, 2],
            [40, 3],
          ],
        },
      ],
      { title: "t", xLabel: "x", yLabel: "y", logY: true, width: 640, height: 360 },
    );
    const pts = coords(svg);
    expect(pts).toHaveLength(5);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(640 - 16);
      expect(y).toBeGreaterThanOrEqual(32);
      expect(y).toBeLessThanOrEqual(360 - 48);
    }
    expect(pts[0]![1]).toBeGreaterThan(pts[1]![1]);
    expect(pts[1]![1]).toBeGreaterThan(pts[2]![1]);
    expect(svg).toContain("b &#60;&#38;&#62;");
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it("says 'no data' rather than drawing an empty frame", () => {
    expect(lineChart([], { title: "empty", xLabel: "x", yLabel: "y" })).toContain("empty: no data");
  });

  it("escapes markup", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).not.toMatch(/[<>"'&](?![#\d]+;)/);
  });
});
