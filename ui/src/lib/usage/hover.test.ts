// The tooltip's arithmetic: a pointer over the scaled image finds the nearest hover
// point in rendered pixels (time charts along x, horizontal bars along y), the tooltip
// is placed back in shown pixels, and the arrow keys step through the points.
import { describe, expect, it } from "vitest";
import { hoverAxis, nearestPoint, stepPoint, tooltipPosition } from "./hover";
import { hoverPoint } from "./fixtures";

const timePoints = [100, 300, 500, 700].map((x, i) => hoverPoint({ x, y: 40 + i, title: `b${i}` }));
// Bars: one per row going down, x at each bar's end (largest first).
const barPoints = [400, 250, 250, 90].map((x, i) => hoverPoint({ x, y: 30 + i * 28, title: `bar${i}` }));

describe("hoverAxis", () => {
  it("reads time charts along x and bar charts along y", () => {
    expect(hoverAxis(timePoints)).toBe("x");
    expect(hoverAxis(barPoints)).toBe("y");
    expect(hoverAxis([])).toBe("x");
  });
});

describe("nearestPoint", () => {
  it("picks the nearest point at the drawn size", () => {
    expect(nearestPoint(timePoints, { x: 290, y: 0 }, 800, 800)).toBe(1);
    expect(nearestPoint(timePoints, { x: 0, y: 0 }, 800, 800)).toBe(0);
    expect(nearestPoint(timePoints, { x: 2000, y: 0 }, 800, 800)).toBe(3);
  });

  it("scales the pointer back to rendered pixels when the image is shown smaller", () => {
    // Shown at half size: 250 shown px is 500 rendered px.
    expect(nearestPoint(timePoints, { x: 250, y: 0 }, 400, 800)).toBe(2);
    // Shown larger than drawn: 700 shown px of 1600 is 350 rendered px.
    expect(nearestPoint(timePoints, { x: 700, y: 0 }, 1600, 800)).toBe(1);
  });

  it("matches bars by row, whatever the bar's length", () => {
    expect(nearestPoint(barPoints, { x: 5, y: 60 }, 800, 800)).toBe(1);
    expect(nearestPoint(barPoints, { x: 5, y: 114 }, 800, 800)).toBe(3);
  });

  it("treats an image with no layout (width 0) as shown at its drawn size", () => {
    expect(nearestPoint(timePoints, { x: 500, y: 0 }, 0, 800)).toBe(2);
  });

  it("has nothing to show without points", () => {
    expect(nearestPoint([], { x: 10, y: 10 }, 800, 800)).toBeNull();
  });
});

describe("tooltipPosition", () => {
  it("places the tooltip at the point in shown pixels", () => {
    expect(tooltipPosition(hoverPoint({ x: 400, y: 100 }), 400, 800)).toEqual({ left: 200, top: 50 });
    expect(tooltipPosition(hoverPoint({ x: 400, y: 100 }), 0, 800)).toEqual({ left: 400, top: 100 });
  });
});

describe("stepPoint", () => {
  it("starts at the first point going right and at the last going left", () => {
    expect(stepPoint(null, "ArrowRight", 4)).toBe(0);
    expect(stepPoint(null, "ArrowLeft", 4)).toBe(3);
  });

  it("moves one point and stops at the ends", () => {
    expect(stepPoint(1, "ArrowRight", 4)).toBe(2);
    expect(stepPoint(3, "ArrowRight", 4)).toBe(3);
    expect(stepPoint(0, "ArrowLeft", 4)).toBe(0);
    expect(stepPoint(2, "ArrowDown", 4)).toBe(3);
  });

  it("ignores other keys and empty charts", () => {
    expect(stepPoint(1, "Enter", 4)).toBe(1);
    expect(stepPoint(null, "ArrowRight", 0)).toBeNull();
  });
});
