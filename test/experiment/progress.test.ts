import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMNS, ProgressReporter, progressStyle, terminalColumns, type ProgressSink } from '../../experiment/progress.js';

function collector(isTTY: boolean, columns: number | undefined = 100): ProgressSink & { out: string[] } {
  const out: string[] = [];
  return { out, isTTY, columns, write: (s: string) => out.push(s) };
}

describe('ProgressReporter', () => {
  it('auto picks a bar on a terminal and lines elsewhere', () => {
    expect(progressStyle('auto', collector(true))).toBe('bar');
    expect(progressStyle('auto', collector(false))).toBe('lines');
    expect(progressStyle('none', collector(true))).toBe('none');
  });

  it('lines mode: a start line, one line per tenth of the run, and an end line with the time left', () => {
    const sink = collector(false);
    let t = 0;
    const p = new ProgressReporter(sink, 'lines', 2, () => t);
    p.startRun('cnn bn nb 2 seed 0', 100, 32);
    for (let s = 1; s <= 100; s++) {
      t += 10; // 10 ms per step of 32 samples → 3200 samples/s
      p.step(s, 1);
    }
    p.endRun('eval acc 95.0%');
    const text = sink.out.join('');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('[1/2] cnn bn nb 2 seed 0: 100 steps of 32 samples');
    expect(lines[5]).toContain('50/100 steps');
    expect(lines[5]).toContain('3200 samples/s');
    expect(lines[5]).toContain('loss 1.0000');
    expect(lines[5]).toContain('ETA 0:01'); // 50 steps × 10 ms left
    expect(lines[11]).toBe('[1/2] cnn bn nb 2 seed 0: eval acc 95.0% (1.0 s; about 0:01 left for 1 more)');
    expect(text).not.toContain('\r');
  });

  it('bar mode redraws one line in place, at most every 100 ms, within the terminal width', () => {
    const sink = collector(true, 80);
    let t = 0;
    const p = new ProgressReporter(sink, 'bar', 1, () => t);
    p.startRun('mlp bkn nb 2 seed 1', 40, 32);
    for (let s = 1; s <= 40; s++) {
      t += 20;
      p.step(s, 0.5);
    }
    const draws = sink.out.filter((s) => s.startsWith('\r'));
    // the first draw, one per 100 ms (5 steps), and the last step
    expect(draws.length).toBeGreaterThanOrEqual(8);
    expect(draws.length).toBeLessThanOrEqual(10);
    for (const d of draws) {
      expect(d).not.toContain('\n');
      expect(d.replace('\r\x1b[2K', '').length).toBeLessThan(80);
    }
    // 80 columns leave no room for a bar next to the label and the numbers: the numbers stay whole
    expect(draws[draws.length - 1]).toMatch(/40\/40 steps {2}loss 0\.5000 {2}1600 samples\/s {2}ETA 0:00$/);
    p.endRun('done');
    expect(sink.out[sink.out.length - 1]).toMatch(/^\r\x1b\[2K\[1\/1\] mlp bkn nb 2 seed 1: done \(0\.8 s\)\n$/);
  });

  it('on a wide terminal the bar shows the fraction done; samples/s counts training time only', () => {
    const sink = collector(true, 140);
    let t = 0;
    const p = new ProgressReporter(sink, 'bar', 1, () => t);
    p.startRun('cnn gn seed 0', 100, 32);
    t = 1000;
    p.step(50, 1, 0.5); // 50 steps of 32 in 0.5 s of training (the rest was evaluation)
    const last = sink.out[sink.out.length - 1]!;
    expect(last).toMatch(/\[#{15}\.{15}\]/);
    expect(last).toContain('3200 samples/s');
    expect(last).toContain('ETA 0:01'); // the wall clock: 1 s for 50 steps, 50 to go
  });

  it('none mode writes nothing', () => {
    const sink = collector(true);
    const p = new ProgressReporter(sink, 'none', 1);
    p.startRun('x', 10, 1);
    p.step(1, 1);
    p.note('hello');
    p.endRun('y');
    expect(sink.out).toEqual([]);
  });
});

describe('the bar when the terminal reports no usable width', () => {
  /** The last bar line drawn on a sink that reports `columns`, for one fixed step. */
  function lastDraw(columns: number | undefined): string {
    const sink = collector(true, columns);
    let t = 0;
    const p = new ProgressReporter(sink, 'bar', 1, () => t);
    p.startRun('mlp bkn nb 2 seed 1', 40, 32);
    t = 800;
    p.step(40, 0.5);
    return sink.out[sink.out.length - 1]!;
  }

  // `script -qc` gives a pseudo-terminal of 0 columns; `?? 100` let 0 through and `.slice(0, -1)`
  // cut the last character ("ETA 0:0").
  for (const columns of [0, undefined, Number.NaN, -3, 2.5]) {
    it(`columns ${String(columns)}: the line is drawn as at ${DEFAULT_COLUMNS} columns, its last character kept`, () => {
      const line = lastDraw(columns);
      expect(line).toBe(lastDraw(DEFAULT_COLUMNS));
      expect(line).toMatch(/40\/40 steps {2}loss 0\.5000 {2}1600 samples\/s {2}ETA 0:00$/);
    });
  }

  it('terminalColumns keeps a real width and replaces the rest', () => {
    expect(terminalColumns(1)).toBe(1);
    expect(terminalColumns(237)).toBe(237);
    for (const bad of [0, -1, Number.NaN, Infinity, 2.5, undefined]) expect(terminalColumns(bad)).toBe(DEFAULT_COLUMNS);
  });
});
