// Where the pointer is on a chart drawn in Rust, in the chart's own terms. The SVG is
// shown scaled to its card (`max-width: 100%`), so a pointer offset is first brought
// back to the rendered pixel space the hover points are in, then matched to the
// nearest point along the chart's reading axis: time charts run left to right (one
// point per bucket), bar charts top to bottom (one point per horizontal bar).
import type { HoverPoint } from "$lib/bindings";

export type HoverAxis = "x" | "y";

/** Time charts' points advance in x; the bars' points advance in y at any x. */
export function hoverAxis(points: readonly HoverPoint[]): HoverAxis {
  return points.every((point, i) => i === 0 || point.x > (points[i - 1]?.x ?? -Infinity)) ? "x" : "y";
}

/**
 * The index of the hover point nearest the pointer, or null when there are none.
 * `offset` is the pointer's position inside the image as shown; `shownWidth` the
 * image's on-screen width and `renderedWidth` the width it was drawn at.
 */
export function nearestPoint(
  points: readonly HoverPoint[],
  offset: { x: number; y: number },
  shownWidth: number,
  renderedWidth: number,
  axis: HoverAxis = hoverAxis(points),
): number | null {
  if (points.length === 0) return null;
  const scale = shownWidth > 0 ? renderedWidth / shownWidth : 1;
  const at = (axis === "x" ? offset.x : offset.y) * scale;
  let best = 0;
  let bestDistance = Infinity;
  points.forEach((point, index) => {
    const distance = Math.abs((axis === "x" ? point.x : point.y) - at);
    if (distance < bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}

/** Where the tooltip goes in the shown image's pixels: the point, scaled down. */
export function tooltipPosition(point: HoverPoint, shownWidth: number, renderedWidth: number): { left: number; top: number } {
  const scale = renderedWidth > 0 && shownWidth > 0 ? shownWidth / renderedWidth : 1;
  return { left: point.x * scale, top: point.y * scale };
}

/** ←/→ (and ↑/↓ on bars) steps through the points, staying at the ends. */
export function stepPoint(current: number | null, key: string, count: number): number | null {
  if (count === 0) return null;
  const back = key === "ArrowLeft" || key === "ArrowUp";
  const forward = key === "ArrowRight" || key === "ArrowDown";
  if (!back && !forward) return current;
  if (current === null) return back ? count - 1 : 0;
  return Math.min(count - 1, Math.max(0, current + (forward ? 1 : -1)));
}
