// Shapes in image coordinates: bounds, hit tests and a uniform-grid spatial index (culling and picking
// stay fast with thousands of shapes).
import type { Shape } from "../api";

export type Pt = [number, number];
export interface Box { x0: number; y0: number; x1: number; y1: number }

export function bounds(s: Shape): Box {
  if (s.kind === "circle" && s.points.length >= 2) {
    const [c, e] = s.points;
    const r = Math.hypot(e[0] - c[0], e[1] - c[1]);
    return { x0: c[0] - r, y0: c[1] - r, x1: c[0] + r, y1: c[1] + r };
  }
  const pts = s.kind === "rotated_rectangle" ? rotatedCorners(s) : s.points;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of pts) { if (x < x0) x0 = x; if (y < y0) y0 = y; if (x > x1) x1 = x; if (y > y1) y1 = y; }
  return { x0, y0, x1, y1 };
}

/** Corners of a rotated rectangle given by two opposite corners (unrotated) and `rotation` in degrees about its centre. */
export function rotatedCorners(s: Shape): Pt[] {
  const [a, b] = s.points;
  const cx = (a[0] + b[0]) / 2, cy = (a[1] + b[1]) / 2;
  const rad = ((s.rotation || 0) * Math.PI) / 180, cos = Math.cos(rad), sin = Math.sin(rad);
  return ([[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]] as Pt[]).map(([x, y]) => {
    const dx = x - cx, dy = y - cy;
    return [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos] as Pt;
  });
}

/** The outline a shape is drawn and hit-tested with (rectangles as 4 corners). */
export function outline(s: Shape): Pt[] {
  if (s.kind === "rectangle" && s.points.length >= 2) {
    const [a, b] = s.points;
    return [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
  }
  if (s.kind === "rotated_rectangle") return rotatedCorners(s);
  return s.points as Pt[];
}

function insidePolygon(p: Pt, poly: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentDistance(p: Pt, a: Pt, b: Pt): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Whether `p` (image coordinates) is on the shape, `tol` in image pixels. */
export function hits(s: Shape, p: Pt, tol: number): boolean {
  switch (s.kind) {
    case "point": return Math.hypot(p[0] - s.points[0][0], p[1] - s.points[0][1]) <= tol * 1.5;
    case "circle": {
      const [c, e] = s.points;
      return Math.hypot(p[0] - c[0], p[1] - c[1]) <= Math.hypot(e[0] - c[0], e[1] - c[1]) + tol;
    }
    case "polyline": {
      const pts = s.points as Pt[];
      for (let i = 1; i < pts.length; i++) if (segmentDistance(p, pts[i - 1], pts[i]) <= tol) return true;
      return false;
    }
    default: return insidePolygon(p, outline(s));
  }
}

/** Index of the vertex of `s` within `tol` of `p`, or -1. */
export function vertexAt(s: Shape, p: Pt, tol: number): number {
  for (let i = 0; i < s.points.length; i++) if (Math.hypot(p[0] - s.points[i][0], p[1] - s.points[i][1]) <= tol) return i;
  return -1;
}

export function translate(s: Shape, dx: number, dy: number): Shape {
  return { ...s, points: s.points.map(([x, y]) => [x + dx, y + dy] as [number, number]) };
}

/** Uniform grid over image space: each shape is filed under every cell its bounds touch. */
export class SpatialIndex {
  private cells = new Map<number, number[]>();
  private boxes: Box[] = [];
  constructor(private cell = 128) {}

  rebuild(shapes: Shape[]): void {
    this.cells.clear();
    this.boxes = shapes.map(bounds);
    this.boxes.forEach((b, i) => this.file(b, i));
  }

  private key(cx: number, cy: number): number { return cx * 100003 + cy; }
  private file(b: Box, i: number): void {
    const c = this.cell;
    for (let cx = Math.floor(b.x0 / c); cx <= Math.floor(b.x1 / c); cx++)
      for (let cy = Math.floor(b.y0 / c); cy <= Math.floor(b.y1 / c); cy++) {
        const k = this.key(cx, cy);
        const list = this.cells.get(k);
        if (list) list.push(i); else this.cells.set(k, [i]);
      }
  }

  box(i: number): Box { return this.boxes[i]; }

  /** Indices of shapes whose bounds meet the box, in ascending order. */
  query(b: Box): number[] {
    const c = this.cell, seen = new Set<number>();
    const cx0 = Math.floor(b.x0 / c), cx1 = Math.floor(b.x1 / c), cy0 = Math.floor(b.y0 / c), cy1 = Math.floor(b.y1 / c);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > this.cells.size) {
      this.boxes.forEach((x, i) => { if (x.x1 >= b.x0 && x.x0 <= b.x1 && x.y1 >= b.y0 && x.y0 <= b.y1) seen.add(i); });
    } else {
      for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) for (const i of this.cells.get(this.key(cx, cy)) || []) {
        const x = this.boxes[i];
        if (x.x1 >= b.x0 && x.x0 <= b.x1 && x.y1 >= b.y0 && x.y0 <= b.y1) seen.add(i);
      }
    }
    return [...seen].sort((a, z) => a - z);
  }
}
