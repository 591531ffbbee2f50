/** Small live line charts (uPlot, ~50 KB): a sliding window of one point per sample. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LineSpec {
  label: string;
  color: string;
  /** Which y axis: the left (default) or the right. */
  right?: boolean;
}

export interface ChartSpec {
  title: string;
  unit: string;
  rightUnit?: string;
  lines: LineSpec[];
}

const WINDOW = 120;
const HEIGHT = 200;

export class LiveChart {
  private readonly plot: uPlot;
  private readonly data: number[][];

  constructor(host: HTMLElement, spec: ChartSpec) {
    const box = document.createElement('section');
    box.className = 'card chart';
    box.innerHTML = `<h3>${spec.title}</h3>`;
    host.append(box);
    this.data = [[], ...spec.lines.map(() => [])];
    const axis = (scale: string, unit: string, side?: number): uPlot.Axis => ({
      scale,
      side,
      stroke: '#9aa4b2',
      grid: { stroke: side === 1 ? 'transparent' : '#253041' },
      ticks: { stroke: '#253041' },
      size: 56,
      values: (_u, splits) => splits.map((v) => `${+v.toPrecision(3)}${unit}`),
    });
    this.plot = new uPlot(
      {
        width: Math.max(320, box.clientWidth - 24),
        height: HEIGHT,
        legend: { live: false },
        cursor: { show: false },
        scales: {
          x: { time: true },
          left: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
          right: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          {
            stroke: '#9aa4b2',
            grid: { stroke: '#253041' },
            ticks: { stroke: '#253041' },
            size: 32,
            space: 70,
            incrs: [5, 10, 15, 30, 60],
            values: (_u, splits) => splits.map((t) => new Date(t * 1000).toLocaleTimeString('en-GB')),
          },
          axis('left', spec.unit),
          ...(spec.rightUnit !== undefined ? [axis('right', spec.rightUnit, 1)] : []),
        ],
        series: [
          {},
          ...spec.lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, scale: l.right ? 'right' : 'left', spanGaps: true })),
        ],
      },
      this.data as uPlot.AlignedData,
      box,
    );
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(320, box.clientWidth - 24), height: HEIGHT })).observe(box);
  }

  /** Appends one point per line (NaN leaves a gap); keeps the last WINDOW. */
  push(timeMs: number, values: number[]): void {
    this.data[0]!.push(timeMs / 1000);
    values.forEach((v, i) => this.data[i + 1]!.push(Number.isFinite(v) ? v : (null as unknown as number)));
    if (this.data[0]!.length > WINDOW) for (const column of this.data) column.shift();
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  get points(): number {
    return this.data[0]!.length;
  }
}
